// @effect-diagnostics processEnv:off
/**
 * Worker processes: a worker killed with SIGKILL mid-job loses its lease and
 * the job completes elsewhere; one stopped with SIGTERM mid-job releases it at
 * once; random jobs across two worker processes all complete exactly once.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Redacted, Schedule, Schema } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import * as Path from "node:path"
import { SqlClient } from "effect/sql/SqlClient"
import { Ping } from "../../src/domain/Job.ts"
import { JobQueue } from "../../src/infra/JobQueue.ts"
import { awaitJob, enqueuePing, Script, TestWorker } from "../utils/Jobs.ts"
import { currentDatabaseUrl, scopedDatabase, TestDatabase } from "../utils/TestDatabase.ts"

/** A `test/fixtures/worker.ts` process on `databaseUrl`; its output lines are collected. */
const workerProcess = (databaseUrl: string, env: Record<string, string> = {}) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const child = spawn(process.execPath, [Path.resolve("test/fixtures/worker.ts")], {
        env: { PATH: process.env.PATH ?? "", DATABASE_URL: databaseUrl, JOB_POLL_INTERVAL_MS: "200", ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      const lines: Array<string> = []
      let partial = ""
      child.stdout.on("data", (chunk: Buffer) => {
        const text = partial + chunk.toString()
        const parts = text.split("\n")
        partial = parts.pop() ?? ""
        lines.push(...parts)
      })
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
      return { child, lines, exited }
    }),
    ({ child }) => Effect.sync(() => child.kill("SIGKILL"))
  )

const awaitLine = (lines: ReadonlyArray<string>, pattern: RegExp) =>
  Effect.sync(() => lines.some((l) => pattern.test(l))).pipe(
    Effect.repeat({ until: (found) => found, schedule: Schedule.spaced("20 millis") }),
    Effect.timeout("20 seconds")
  )

/** SIGTERM, then the exit: by the process itself, as an interrupted main fiber (`NodeRuntime`'s 130), not a failure. */
const stop = (process: { readonly child: ChildProcess; readonly exited: Promise<number | null> }) =>
  Effect.andThen(Effect.sync(() => process.child.kill("SIGTERM")), Effect.promise(() => process.exited)).pipe(
    Effect.tap((code) => Effect.sync(() => assert.strictEqual(code, 130, "the worker shuts down on SIGTERM")))
  )

describe("worker processes", () => {
  it.layer(
    JobQueue.layer.pipe(Layer.provideMerge(TestDatabase()), Layer.provideMerge(Script.layer)),
    { timeout: "90 seconds", excludeTestServices: true }
  )("crash recovery", (it) => {
    it.effect("a job whose worker is SIGKILLed mid-run completes elsewhere once its lease expires", () =>
      Effect.gen(function*() {
        const doomed = yield* workerProcess(yield* currentDatabaseUrl, { JOB_LEASE_MS: "1000" })
        const id = yield* enqueuePing("block:crash")
        yield* awaitLine(doomed.lines, /^run block:crash 1$/)
        doomed.child.kill("SIGKILL")
        yield* Effect.promise(() => doomed.exited)
        const script = yield* Script
        yield* Effect.gen(function*() {
          const done = yield* awaitJob(id!, (s) => s.status === "succeeded")
          assert.strictEqual(done.attempts, 2)
          assert.match(done.lastError ?? "", /lease expired/)
        }).pipe(Effect.provide(TestWorker({ JOB_LEASE_MS: "1000" })))
        assert.deepStrictEqual(script.runs.filter((r) => r.id === "block:crash"), [{ id: "block:crash", attempt: 2 }])
      }))

    it.effect("a worker stopped with SIGTERM mid-job releases it after the grace period: it runs again at once elsewhere, once", () =>
      Effect.gen(function*() {
        // A lease far longer than the test: only the release on shutdown can let the job run again in time.
        const stopping = yield* workerProcess(yield* currentDatabaseUrl, { JOB_LEASE_MS: "600000", JOB_SHUTDOWN_GRACE_MS: "200" })
        const id = yield* enqueuePing("block:sigterm")
        yield* awaitLine(stopping.lines, /^run block:sigterm 1$/)
        yield* stop(stopping)
        const sql = yield* SqlClient
        const [locked] = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM jobs WHERE status = 'running'`
        assert.strictEqual(locked!.n, 0, "nothing stays locked")
        const script = yield* Script
        yield* awaitJob(id!, (s) => s.status === "succeeded").pipe(Effect.provide(TestWorker()))
        assert.strictEqual(script.runs.filter((r) => r.id === "block:sigterm").length, 1, "ran once more, elsewhere")
        const [history] = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM completed_jobs WHERE id = ${id!}::bigint`
        assert.strictEqual(history!.n, 1, "one entry in the history")
      }))
  })

  it.live.prop(
    "random jobs across two worker processes complete exactly once",
    {
      n: Schema.Int.check(Schema.isBetween({ minimum: 50, maximum: 400 })),
      delayed: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 20 }))
    },
    ({ n, delayed }) =>
      Effect.gen(function*() {
        const database = yield* scopedDatabase({ migrated: true })
        const url = Redacted.value(database.url)
        const workers = [yield* workerProcess(url), yield* workerProcess(url)]
        // Both compete from the first job; how they split the work is up to the race.
        yield* Effect.forEach(workers, (w) => awaitLine(w.lines, /^ready$/), { discard: true })
        yield* Effect.gen(function*() {
          const queue = yield* JobQueue
          const jobs = Array.from({ length: n }, (_, i) => ({
            job: new Ping({ id: `job-${i}` }),
            options: { priority: i % 3, ...(i < delayed ? { delay: Duration.millis(i * 10) } : {}) }
          }))
          assert.strictEqual(yield* queue.enqueueMany(jobs), n)
          const sql = yield* SqlClient
          yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM completed_jobs`.pipe(
            Effect.repeat({ until: (rows) => rows[0]!.n === n, schedule: Schedule.spaced("50 millis") }),
            Effect.timeout("30 seconds")
          )
        }).pipe(Effect.provide(JobQueue.layer.pipe(Layer.provideMerge(TestDatabase({ DATABASE_URL: url })))))
        yield* Effect.forEach(workers, stop, { discard: true })
        const runs = workers.flatMap((w) => w.lines.filter((l) => l.startsWith("run ")))
        assert.strictEqual(runs.length, n, "each job ran once")
        assert.strictEqual(new Set(runs).size, n)
      }).pipe(Effect.scoped),
    { timeout: 120_000, arbitrary: { runs: 3 } }
  )
})
