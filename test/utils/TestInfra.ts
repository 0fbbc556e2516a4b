/**
 * Real infrastructure for tests: the Redis of `TEST_REDIS_URL` (or any URL),
 * and the whole HTTP application mounted on an ephemeral port.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Config, ConfigProvider, Effect, Layer } from "effect"
import { DomainLive, HttpApp } from "../../src/Http.ts"
import { Redis } from "../../src/infra/Redis.ts"

export const testRedisUrl = Config.String("TEST_REDIS_URL")

/** `Redis` connected to `url`, or to the test server when omitted. */
export const TestRedis = (url?: string) =>
  Layer.unwrap(Effect.map(url === undefined ? testRedisUrl : Effect.succeed(url), (redisUrl) =>
    Layer.fresh(Redis.layer).pipe(
      Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ REDIS_URL: redisUrl })))
    ))).pipe(Layer.orDie)

/** The real routes and domain services on `NodeHttpServer.layerTest`, whose `HttpClient` targets it. */
export const TestApp = HttpApp.pipe(
  Layer.provide(DomainLive),
  Layer.provideMerge(NodeHttpServer.layerTest)
)
