/**
 * Slow statements against the real Postgres: kept with their parameterised
 * SQL (never the values), duration, rows and trace id, newest first; fast
 * ones are not; a statement cancelled by `statement_timeout` counts too; and
 * `GET /ops/stats` serves them.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import { HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql/SqlClient"
import { SlowQueries } from "../../src/infra/Sql.ts"
import { send, userWithToken } from "../utils/Http.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TestApp, TestRedis } from "../utils/TestInfra.ts"

describe("slow queries", () => {
  it.layer(TestDatabase({ SLOW_QUERY_MS: "300", DB_STATEMENT_TIMEOUT_MS: "1000" }), { timeout: "30 seconds", excludeTestServices: true })("watch", (it) => {
    it.effect("a statement over SLOW_QUERY_MS is kept with its SQL but not its values; a fast one is not", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const slow = yield* SlowQueries
        const before = yield* slow.total
        yield* sql`SELECT 1 AS fast`
        yield* Effect.withSpan(sql`SELECT pg_sleep(${0.12}), ${"a secret value"}::text AS note, g FROM generate_series(1, 3) AS g`, "a caller")
        const [latest] = yield* slow.recent
        assert.strictEqual((yield* slow.total) - before, 1)
        assert.match(latest!.sql, /pg_sleep\(\$1\)/)
        assert.notInclude(latest!.sql, "secret")
        assert.isAtLeast(latest!.durationMs, 360, "three rows, each sleeping 120 ms")
        assert.strictEqual(latest!.rows, 3)
        assert.match(latest!.traceId ?? "", /^[0-9a-f]{32}$/)
      }))

    it.effect("a statement cancelled by statement_timeout is kept too, newest first", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const slow = yield* SlowQueries
        const cancelled = yield* Effect.exit(sql`SELECT pg_sleep(2) AS cancelled`)
        assert.isTrue(Exit.isFailure(cancelled))
        const [latest] = yield* slow.recent
        assert.match(latest!.sql, /pg_sleep\(2\) AS cancelled/)
        assert.strictEqual(latest!.rows, 0)
        assert.isAtLeast(latest!.durationMs, 1000)
      }))
  })

  it.layer(TestApp.pipe(Layer.provideMerge(Layer.mergeAll(TestDatabase({ SLOW_QUERY_MS: "50" }), TestRedis()))), {
    timeout: "30 seconds",
    excludeTestServices: true
  })("ops", (it) => {
    it.effect("GET /ops/stats lists them", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const admin = yield* userWithToken("admin")
        yield* sql`SELECT pg_sleep(0.06) AS nap`
        const stats = yield* send(admin.as(HttpClientRequest.get("/ops/stats")))
        const nap = stats.body.slow_queries.find((q: { sql: string }) => q.sql.includes("AS nap"))
        assert.isDefined(nap)
        assert.isAtLeast(nap.duration_ms, 60)
        assert.strictEqual(new Date(nap.at).toISOString(), nap.at)
      }))
  })
})
