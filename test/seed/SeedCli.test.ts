/**
 * `npm run seed` as an operator runs it: a small dataset written to a fresh
 * database, and every cached read of the Redis it shares with the service
 * dropped, since the rows were written behind the service's back.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Option, Redacted, Schema } from "effect"
import { spawnSync } from "node:child_process"
import * as Path from "node:path"
import * as Cache from "../../src/infra/Cache.ts"
import { scopedDatabase } from "../utils/TestDatabase.ts"
import { TestRedis, testRedisUrl } from "../utils/TestInfra.ts"

describe("seed CLI", () => {
  it.live("seeds, then drops every cached entry", () =>
    Effect.gen(function*() {
      const database = yield* scopedDatabase({ migrated: true })
      const redisUrl = yield* testRedisUrl
      const prefix = `test-seed-${crypto.randomUUID()}`
      let runs = 0
      const read = Cache.Cache.use((cache) =>
        cache.get({
          entity: "probe",
          key: "1",
          schema: Schema.String,
          ttl: "1 hour",
          tags: [],
          lookup: Effect.sync(() => (runs++, Option.some("fresh")))
        })
      ).pipe(
        Effect.provide(Layer.fresh(Cache.layer).pipe(
          Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ REDIS_KEY_PREFIX: prefix, CACHE_TIMEOUT_MS: "1000" }))),
          Layer.provide(TestRedis())
        ))
      )
      yield* read
      yield* read
      assert.strictEqual(runs, 1)
      const seeded = spawnSync(process.execPath, [Path.resolve("src/seed.ts"), "--scale", "0.01"], {
        env: { PATH: process.env.PATH ?? "", DATABASE_URL: Redacted.value(database.url), REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix },
        encoding: "utf8"
      })
      assert.strictEqual(seeded.status, 0, seeded.stderr)
      assert.match(seeded.stdout, /seeded 20 providers/)
      yield* read
      assert.strictEqual(runs, 2, "the entry cached before the seed was dropped")
    }).pipe(Effect.scoped), 60_000)
})
