/**
 * The pool is observable and bounded: counters match what happens, a checkout
 * gives up after DB_ACQUIRE_TIMEOUT_MS, load is shed past DB_POOL_MAX_WAITING,
 * Postgres cancels statements past DB_STATEMENT_TIMEOUT_MS, and
 * DB_PREPARED_STATEMENTS=false leaves no named statement on the server.
 * Real time throughout (`excludeTestServices`): these are timeouts against a real server.
 */
import { assert, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Schedule } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { PoolCounters } from "../../src/infra/PgPoolClient.ts"
import { PoolStats } from "../../src/infra/Sql.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"

/** Waits (polling every 5 ms, at most 5 s) until the pool counters satisfy `predicate`. */
const awaitPool = (predicate: (counters: PoolCounters) => boolean) =>
  Effect.gen(function*() {
    const stats = yield* PoolStats
    return yield* stats.snapshot.pipe(
      Effect.repeat({ until: predicate, schedule: Schedule.spaced("5 millis") }),
      Effect.timeout("5 seconds")
    )
  })

it.layer(TestDatabase({ DB_POOL_MAX: "2", DB_ACQUIRE_TIMEOUT_MS: "5000" }), { timeout: "60 seconds", excludeTestServices: true })(
  "pool counters",
  (it) => {
    it.effect("count connections in use, waiters and wait time", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const stats = yield* PoolStats
        const before = yield* stats.snapshot
        const sleepers = yield* Effect.forkChild(
          Effect.all([1, 2, 3, 4].map(() => sql`SELECT pg_sleep(0.3)`), { concurrency: "unbounded" })
        )
        const busy = yield* awaitPool((c) => c.waiting === 2)
        assert.strictEqual(busy.inUse, 2)
        assert.strictEqual(busy.total, 2)
        assert.strictEqual(busy.max, 2)
        yield* Fiber.join(sleepers)
        const after = yield* awaitPool((c) => c.inUse === 0)
        assert.strictEqual(after.waiting, 0)
        assert.strictEqual(after.acquired - before.acquired, 4)
        assert.strictEqual(after.idle, after.total)
        // The last two statements queued behind a 300 ms sleep.
        assert.isAbove(after.waitMsMax, 200)
      }))
  }
)

it.layer(
  TestDatabase({ DB_POOL_MAX: "1", DB_ACQUIRE_TIMEOUT_MS: "150", DB_POOL_MAX_WAITING: "1", DB_STATEMENT_TIMEOUT_MS: "200" }),
  { timeout: "60 seconds", excludeTestServices: true }
)("pool limits", (it) => {
  /** Holds the only connection in an open transaction until `release` completes. */
  const holdConnection = Effect.gen(function*() {
    const sql = yield* SqlClient
    const held = yield* Deferred.make<void>()
    const release = yield* Deferred.make<void>()
    const fiber = yield* Effect.forkChild(
      sql.withTransaction(Effect.andThen(sql`SELECT 1`, Effect.andThen(Deferred.succeed(held, undefined), Deferred.await(release))))
    )
    yield* Deferred.await(held)
    return { release: Effect.andThen(Deferred.succeed(release, undefined), Fiber.join(fiber)) }
  })

  it.effect("a checkout gives up after the acquire timeout with a connection error", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient
      const stats = yield* PoolStats
      const { release } = yield* holdConnection
      const error = yield* Effect.flip(sql`SELECT 1`)
      assert.strictEqual(error.reason._tag, "ConnectionError")
      assert.match(error.message, /no database connection became free/)
      assert.strictEqual((yield* stats.snapshot).timedOut, 1)
      yield* release
      // The pool recovers at once.
      yield* sql`SELECT 1`
    }))

  it.effect("sheds load once the waiting limit is reached", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient
      const stats = yield* PoolStats
      const { release } = yield* holdConnection
      const waiter = yield* Effect.forkChild(sql`SELECT 1`)
      yield* awaitPool((c) => c.waiting === 1)
      const error = yield* Effect.flip(sql`SELECT 1`)
      assert.match(error.message, /too many requests are waiting/)
      assert.strictEqual((yield* stats.snapshot).shed, 1)
      yield* release
      yield* Fiber.join(waiter)
    }))

  it.effect("Postgres cancels statements past the statement timeout", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient
      const error = yield* Effect.flip(sql`SELECT pg_sleep(2)`)
      assert.strictEqual(error.reason._tag, "StatementTimeoutError")
      yield* sql`SELECT 1`
    }))
})

it.effect("DB_PREPARED_STATEMENTS: named statements are prepared on the server by default, none when it is false", () =>
  Effect.gen(function*() {
    const preparedOn = (settings: Record<string, string>) =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        yield* sql`SELECT ${42}::int AS answer`
        const [row] = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_prepared_statements`
        return row!.n
      }).pipe(Effect.provide(TestDatabase({ DB_POOL_MAX: "1", ...settings })), Effect.orDie)
    assert.isAbove(yield* preparedOn({}), 0)
    assert.strictEqual(yield* preparedOn({ DB_PREPARED_STATEMENTS: "false" }), 0)
  }), { timeout: 60_000 })
