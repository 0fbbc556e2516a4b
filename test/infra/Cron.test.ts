import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Scope } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { Ping } from "../../src/domain/Job.ts"
import * as Cron from "../../src/infra/Cron.ts"
import { JobQueue } from "../../src/infra/JobQueue.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"

const keysOf = (name: string) =>
  SqlClient.use((sql) =>
    sql<{ key: string }>`SELECT key FROM jobs WHERE key LIKE ${`${name}:%`} ORDER BY key`
  ).pipe(Effect.map((rows) => rows.map((r) => r.key)), Effect.orDie)

/** Builds `layer` in a scope of its own and closes it after `ms` of real time. */
const runFor = <E, R>(layer: Layer.Layer<never, E, R>, ms: number) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    yield* Layer.buildWithScope(layer, scope).pipe(Effect.orDie)
    yield* Effect.sleep(ms)
    yield* Scope.close(scope, Exit.void)
  })

describe("cron", () => {
  it.layer(JobQueue.layer.pipe(Layer.provideMerge(TestDatabase())), { timeout: "60 seconds", excludeTestServices: true })(
    (it) => {
      it.effect("three schedulers racing enqueue each tick exactly once", () =>
        Effect.gen(function*() {
          const every = Cron.layer([{ name: "every-second", schedule: "* * * * * *", job: (tick) => new Ping({ id: tick.toISOString() }) }])
          yield* Effect.all([runFor(every, 3200), runFor(every, 3200), runFor(every, 3200)], { concurrency: "unbounded" })
          const keys = yield* keysOf("every-second")
          assert.isAtLeast(keys.length, 2)
          assert.strictEqual(new Set(keys).size, keys.length, "no tick twice")
          const ticks = keys.map((k) => Date.parse(k.slice("every-second:".length)))
          for (let i = 1; i < ticks.length; i++) assert.strictEqual(ticks[i]! - ticks[i - 1]!, 1000, "no tick skipped")
        }))

      it.effect("a tick missed while nothing ran runs once at start-up, not a backlog", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient
          yield* sql`INSERT INTO cron_schedules (name, schedule, last_tick_at) VALUES ('hourly-report', '0 * * * *', now() - interval '5 hours')`
          const hourly = Cron.layer([{ name: "hourly-report", schedule: "0 * * * *", job: () => new Ping({ id: "hourly" }) }])
          yield* runFor(hourly, 200)
          yield* runFor(hourly, 200)
          const keys = yield* keysOf("hourly-report")
          assert.strictEqual(keys.length, 1)
          const tick = new Date(Date.parse(keys[0]!.slice("hourly-report:".length)))
          assert.strictEqual(tick.getUTCMinutes(), 0)
          assert.isBelow(Date.now() - tick.getTime(), 3_600_000)
        }))

      it.effect("a new schedule does not count the time before it existed as missed", () =>
        Effect.gen(function*() {
          yield* runFor(Cron.layer([{ name: "fresh-daily", schedule: "0 3 * * *", job: () => new Ping({ id: "x" }) }]), 100)
          assert.deepStrictEqual(yield* keysOf("fresh-daily"), [])
          const queue = yield* JobQueue
          const listed = yield* queue.cron.list
          assert.isTrue(listed.some((c) => c.name === "fresh-daily" && c.schedule === "0 3 * * *"))
        }))
    }
  )
})
