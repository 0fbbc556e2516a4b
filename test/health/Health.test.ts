import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { HttpClientRequest } from "effect/http"
import { makeApiClient } from "../../src/Client.ts"
import { send } from "../utils/Http.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TestApp, TestRedis } from "../utils/TestInfra.ts"

const getJson = (path: string) => send(HttpClientRequest.get(path))

/** Nothing listens on port 1: connections are refused at once. */
const UNREACHABLE_PG = "postgres://root@127.0.0.1:1/none"
const UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"

describe("health", () => {
  it.layer(TestApp.pipe(Layer.provide([TestDatabase(), TestRedis()])), { timeout: "60 seconds", excludeTestServices: true })(
    "with Postgres and Redis up",
    (it) => {
      it.effect("live and ready answer 200 with each dependency's latency, no host names", () =>
        Effect.gen(function*() {
          const live = yield* getJson("/health/live")
          assert.deepStrictEqual([live.status, live.body], [200, { status: "ok" }])
          const ready = yield* getJson("/health/ready")
          assert.strictEqual(ready.status, 200)
          assert.strictEqual(ready.body.status, "ready")
          assert.strictEqual(ready.body.checks.database.status, "up")
          assert.strictEqual(ready.body.checks.database.backend, "postgres")
          assert.isAtLeast(ready.body.checks.database.latency_ms, 0)
          assert.strictEqual(ready.body.checks.cache.backend, "redis")
          assert.strictEqual(ready.body.checks.cache.status, "up")
          assert.strictEqual(ready.body.checks.queue.status, "up")
          assert.notMatch(ready.text, /127\.0\.0\.1|localhost|root/)
        }))

      it.effect("the typed client reads / and readiness", () =>
        Effect.gen(function*() {
          const client = yield* makeApiClient()
          const about = yield* client.about()
          assert.strictEqual(about.name, "maplehustle")
          assert.match(about.version, /^\d+\.\d+\.\d+/)
          const ready = yield* client.ready()
          assert.strictEqual(ready.checks.database.status, "up")
        }))
    }
  )

  it.layer(
    TestApp.pipe(Layer.provide([TestDatabase({ DATABASE_URL: UNREACHABLE_PG }), TestRedis()])),
    { timeout: "60 seconds", excludeTestServices: true }
  )("with Postgres down", (it) => {
    it.effect("ready answers 503 unavailable; live still 200", () =>
      Effect.gen(function*() {
        const client = yield* makeApiClient()
        const error = yield* Effect.flip(client.ready())
        assert.strictEqual(error._tag, "NotReady")
        const ready = yield* getJson("/health/ready")
        assert.strictEqual(ready.status, 503)
        assert.strictEqual(ready.body._tag, "NotReady")
        assert.strictEqual(ready.body.status, "unavailable")
        assert.strictEqual(ready.body.checks.database.status, "down")
        assert.strictEqual((yield* getJson("/health/live")).status, 200)
      }))
  })

  it.layer(
    TestApp.pipe(Layer.provide([TestDatabase(), TestRedis(UNREACHABLE_REDIS)])),
    { timeout: "60 seconds", excludeTestServices: true }
  )("with Redis down", (it) => {
    it.effect("ready answers 200 degraded: the cache is optional", () =>
      Effect.gen(function*() {
        const ready = yield* getJson("/health/ready")
        assert.strictEqual(ready.status, 200)
        assert.strictEqual(ready.body.status, "degraded")
        assert.strictEqual(ready.body.checks.cache.status, "down")
        assert.strictEqual(ready.body.checks.database.status, "up")
      }))
  })
})
