/**
 * The spans of statements against the real Postgres carry the OpenTelemetry
 * database attributes: operation, collection, summary, the parameterised text,
 * rows returned, the pool wait, and the SQLSTATE of a failure.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Tracer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { recordingTracer } from "../utils/Spans.ts"

/** Runs `effect` under a tracer that keeps every span it starts. */
const traced = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const { spans, tracer } = recordingTracer()
    const exit = yield* Effect.exit(effect.pipe(Effect.withSpan("caller"), Effect.provideService(Tracer.Tracer, tracer)))
    return { exit, spans }
  })

describe("statement spans", () => {
  it.layer(TestDatabase(), { timeout: "30 seconds", excludeTestServices: true })("attributes", (it) => {
    it.effect("a SELECT names its operation, table and rows; values never appear", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const { spans } = yield* traced(sql`SELECT code, name FROM canadian_provinces WHERE code <> ${"XX-secret"} ORDER BY code`)
        const statement = spans.find((span) => span.attributes.has("db.query.text"))!
        assert.strictEqual(statement.kind, "client")
        assert.strictEqual(statement.attributes.get("db.system.name"), "postgresql")
        assert.strictEqual(statement.attributes.get("db.operation.name"), "SELECT")
        assert.strictEqual(statement.attributes.get("db.collection.name"), "canadian_provinces")
        assert.strictEqual(statement.attributes.get("db.query.summary"), "SELECT canadian_provinces")
        assert.strictEqual(statement.attributes.get("db.response.returned_rows"), 13)
        assert.isNumber(statement.attributes.get("db.client.connection.wait_time_ms"), "the pool wait, apart from execution")
        assert.notInclude(String(statement.attributes.get("db.query.text")), "secret")
      }))

    it.effect("a failing statement carries its SQLSTATE", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const { exit, spans } = yield* traced(sql`SELECT 1 FROM no_such_table`)
        assert.isTrue(Exit.isFailure(exit))
        const statement = spans.find((span) => span.attributes.has("db.query.text"))!
        assert.strictEqual(statement.attributes.get("db.response.status_code"), "42P01")
        assert.strictEqual(statement.attributes.get("error.type"), "42P01")
      }))
  })
})
