/**
 * The Redis client fails fast while Redis is gone and reconnects by itself
 * when it returns. The test runs a redis-server of its own on a free port.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Schedule } from "effect"
import { Redis } from "../../src/infra/Redis.ts"
import { awaitRedisPing, spawnRedis } from "../utils/LocalServers.ts"
import { freePort } from "../utils/ServiceProcess.ts"
import { TestRedis } from "../utils/TestInfra.ts"

const redisServer = (port: number) =>
  Effect.acquireRelease(Effect.sync(() => spawnRedis(port)), (child) => Effect.sync(() => child.kill("SIGKILL")))

describe("Redis", () => {
  it.live("fails fast while Redis is down and reconnects when it returns", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(freePort)
      const first = yield* redisServer(port)
      yield* Effect.gen(function*() {
        const redis = yield* Redis
        yield* awaitRedisPing

        first.kill("SIGKILL")
        const [elapsed, error] = yield* redis.ping("1 second").pipe(
          Effect.flip,
          Effect.retry({ schedule: Schedule.spaced("20 millis"), times: 100 }),
          Effect.timed
        )
        assert.strictEqual(error._tag, "RedisUnavailable")
        assert.isBelow(Duration.toMillis(elapsed), 1000, "no hang: commands fail instead of queueing")

        yield* redisServer(port)
        yield* awaitRedisPing
      }).pipe(Effect.provide(TestRedis(`redis://127.0.0.1:${port}/0`)))
    }), 30_000)

  it.live("describes the connection without credentials", () =>
    Effect.gen(function*() {
      const redis = yield* Redis
      assert.notMatch(redis.description, /secret/)
      assert.match(redis.description, /^Redis 127\.0\.0\.1:1\/3$/)
    }).pipe(Effect.provide(TestRedis("redis://:secret@127.0.0.1:1/3"))), 30_000)
})
