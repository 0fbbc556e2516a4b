/**
 * Real infrastructure for tests: the Redis of `TEST_REDIS_URL` (or any URL),
 * and the whole HTTP application mounted on an ephemeral port.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Config, ConfigProvider, Effect, Layer } from "effect"
import { DomainLive, HttpApp } from "../../src/Http.ts"
import { JobQueue } from "../../src/infra/JobQueue.ts"
import { Redis } from "../../src/infra/Redis.ts"
import { JwtSecret } from "../../src/infra/Secrets.ts"
import { AccessTokens } from "../../src/users/AccessTokens.ts"

export const testRedisUrl = Config.String("TEST_REDIS_URL")

/** `Redis` connected to `url`, or to the test server when omitted. */
export const TestRedis = (url?: string) =>
  Layer.unwrap(Effect.map(url === undefined ? testRedisUrl : Effect.succeed(url), (redisUrl) =>
    Layer.fresh(Redis.layer).pipe(
      Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ REDIS_URL: redisUrl })))
    ))).pipe(Layer.orDie)

export const TEST_JWT_SECRET = "test-secret-for-signing-access-tokens-0123456789"

export const TestJwtSecret = JwtSecret.layer.pipe(
  Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ JWT_SECRET: TEST_JWT_SECRET })))
)

/**
 * The real routes and domain services on `NodeHttpServer.layerTest`, whose
 * `HttpClient` targets it; needs a database (`TestDatabase`) and `Redis`.
 */
export const TestApp = HttpApp.pipe(
  Layer.provide(DomainLive),
  Layer.provideMerge(NodeHttpServer.layerTest),
  Layer.provideMerge(AccessTokens.layer),
  Layer.provideMerge(Layer.mergeAll(JobQueue.layer, TestJwtSecret))
)
