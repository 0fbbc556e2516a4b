/**
 * Real infrastructure for tests: the Redis of `TEST_REDIS_URL` (or any URL),
 * and the whole HTTP application mounted on an ephemeral port.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Config, ConfigProvider, Effect, Layer } from "effect"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import { FileStorage } from "../../src/files/Storage.ts"
import { DomainLive, HttpApp } from "../../src/Http.ts"
import * as Cache from "../../src/infra/Cache.ts"
import { JobQueue } from "../../src/infra/JobQueue.ts"
import { RateLimiter } from "../../src/infra/RateLimiter.ts"
import { Redis } from "../../src/infra/Redis.ts"
import { SecretsLive } from "../../src/infra/Secrets.ts"
import { AccessTokens } from "../../src/users/AccessTokens.ts"

export const testRedisUrl = Config.String("TEST_REDIS_URL")

/** `Redis` connected to `url`, or to the test server when omitted. */
export const TestRedis = (url?: string) =>
  Layer.unwrap(Effect.map(url === undefined ? testRedisUrl : Effect.succeed(url), (redisUrl) =>
    Layer.fresh(Redis.layer).pipe(
      Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ REDIS_URL: redisUrl })))
    ))).pipe(Layer.orDie)

/**
 * The cache on the test's `Redis` under a key prefix of its own, so test files
 * running at once never see each other's entries. Its command timeout is
 * generous: on a loaded machine a 50 ms timeout sends a read to the database
 * (correct, but it would move the statement counts that tests assert).
 */
export const TestCache = (settings: Record<string, string> = {}) =>
  Layer.unwrap(Effect.sync(() =>
    Layer.fresh(Cache.layer).pipe(
      Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({
        REDIS_KEY_PREFIX: `test-${crypto.randomUUID()}`,
        CACHE_TIMEOUT_MS: "1000",
        ...settings
      })))
    )
  ))

/** The cache switched off, for tests of code that reads through it but is not about it. */
export const NoCache = Cache.layer.pipe(
  Layer.provide(Redis.layer),
  Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ CACHE_ENABLED: "false" })))
)

export const TEST_JWT_SECRET = "test-secret-for-signing-access-tokens-0123456789"

/** Both keys of `SecretsLive` from `TEST_JWT_SECRET`. */
export const TestSecrets = SecretsLive.pipe(
  Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ JWT_SECRET: TEST_JWT_SECRET })))
)

/** The rate limiter on the test's `Redis`, off unless a test is about limits (API.md: off "for test suites"). */
export const TestRateLimiter = (enabled: boolean) =>
  Layer.fresh(RateLimiter.layer).pipe(
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({
      RATE_LIMITS_ENABLED: String(enabled),
      // Counters live 1–15 minutes in the shared test Redis: each run counts apart.
      REDIS_KEY_PREFIX: `test-${crypto.randomUUID()}`
    })))
  )

/** `FileStorage` in a fresh temporary `DATA_DIR`, removed when the layer is released. */
export const TestFileStorage = Layer.unwrap(Effect.map(
  Effect.acquireRelease(
    Effect.promise(() => Fs.mkdtemp(Path.join(Os.tmpdir(), "mh-data-"))),
    (dir) => Effect.promise(() => Fs.rm(dir, { recursive: true, force: true }))
  ),
  (dir) => Layer.fresh(FileStorage.layer).pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ DATA_DIR: dir }))))
))

/**
 * The real routes and domain services on `NodeHttpServer.layerTest`, whose
 * `HttpClient` targets it; needs a database (`TestDatabase`) and `Redis`.
 */
export const TestAppWith = (options: { readonly rateLimits: boolean; readonly trustedProxies?: string }) =>
  (options.trustedProxies === undefined
    ? HttpApp
    : HttpApp.pipe(Layer.provide(ConfigProvider.layerAdd(ConfigProvider.fromUnknown({ TRUSTED_PROXIES: options.trustedProxies }))))
  ).pipe(
    Layer.provide(DomainLive),
    Layer.provideMerge(NodeHttpServer.layerTest),
    Layer.provideMerge(AccessTokens.layer),
    Layer.provideMerge(Layer.mergeAll(JobQueue.layer, TestSecrets, TestRateLimiter(options.rateLimits), TestFileStorage, TestCache()))
  )

export const TestApp = TestAppWith({ rateLimits: false })
