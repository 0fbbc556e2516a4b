/**
 * Enqueueing and the worker runtime against the real Postgres.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Data, Deferred, Duration, Effect, Exit, Fiber, Layer, Option, Scope } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { Ping } from "../../src/domain/Job.ts"
import { JobQueue } from "../../src/infra/JobQueue.ts"
import { awaitJob, enqueuePing, jobState, Script, TestWorker } from "../utils/Jobs.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"

class Boom extends Data.TaggedError("Boom")<{ readonly message: string }> {}

const Base = JobQueue.layer.pipe(Layer.provideMerge(TestDatabase()), Layer.provideMerge(Script.layer))

describe("JobQueue", () => {
  it.layer(Base, { timeout: "60 seconds", excludeTestServices: true })("enqueue", (it) => {
    it.effect("joins the caller's transaction: a rollback leaves no job", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const before = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM jobs`
        const rolledBack = yield* sql.withTransaction(Effect.andThen(enqueuePing("rolled-back"), Effect.fail("business rule"))).pipe(Effect.exit)
        assert.isTrue(Exit.isFailure(rolledBack))
        const after = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM jobs`
        assert.strictEqual(after[0]!.n, before[0]!.n)
        const id = yield* sql.withTransaction(enqueuePing("committed"))
        assert.strictEqual((yield* jobState(id!))?.status, "pending")
      }))

    it.effect("keeps one pending job per key, or replaces it on request", () =>
      Effect.gen(function*() {
        const first = yield* enqueuePing("first", { key: "dedupe-1", delay: "1 hour" })
        const dropped = yield* enqueuePing("second", { key: "dedupe-1" })
        assert.isDefined(first)
        assert.isUndefined(dropped)
        assert.strictEqual((yield* jobState(first!))?.payload.id, "first")
        const replaced = yield* enqueuePing("third", { key: "dedupe-1", replace: true, delay: "2 hours" })
        assert.strictEqual(replaced, first)
        const state = yield* jobState(first!)
        assert.strictEqual(state?.payload.id, "third")
        assert.isAbove(state!.runAt.getTime(), Date.now() + 90 * 60_000)
        // Once the keyed job is no longer pending, the key is free again.
        const queue = yield* JobQueue
        assert.isTrue(yield* queue.cancelByKey("dedupe-1"))
        assert.isDefined(yield* enqueuePing("fourth", { key: "dedupe-1" }))
      }))

    it.effect("bulk enqueue writes many jobs in one statement", () =>
      Effect.gen(function*() {
        const queue = yield* JobQueue
        const { Ping } = yield* Effect.promise(() => import("../../src/domain/Job.ts"))
        const n = yield* queue.enqueueMany(Array.from({ length: 500 }, (_, i) => ({ job: new Ping({ id: `bulk-${i}` }) })))
        assert.strictEqual(n, 500)
      }))

    it.effect("claims by priority, then run time; future jobs wait", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        yield* sql`UPDATE jobs SET status = 'canceled', finished_at = now() WHERE status = 'pending'`
        const queue = yield* JobQueue
        const low = yield* enqueuePing("low", { priority: 0 })
        const high = yield* enqueuePing("high", { priority: 10 })
        const later = yield* enqueuePing("later", { priority: 100, delay: "1 hour" })
        const olderLow = yield* enqueuePing("older-low", { priority: 0, runAt: new Date(Date.now() - 60_000) })
        const claimed = yield* queue.worker.claim({ queue: "default", tasks: ["Ping"], limit: 10, worker: "test", lease: Duration.seconds(30) })
        assert.deepStrictEqual(claimed.map((j) => j.id), [high, olderLow, low])
        assert.notInclude(claimed.map((j) => j.id), later)
        yield* queue.worker.release("test", claimed)
        assert.strictEqual((yield* jobState(high!))?.attempts, 0)
      }))
  })

  it.layer(Base, { timeout: "60 seconds", excludeTestServices: true })("workers", (it) => {
    it.effect("retry then success; exhaustion makes the job dead with its last error", () =>
      Effect.gen(function*() {
        const script = yield* Script
        script.behaviours.set("flaky", (attempt) => attempt < 3 ? Effect.fail(new Boom({ message: `flaky #${attempt}` })) : Effect.void)
        script.behaviours.set("broken", (attempt) => Effect.fail(new Boom({ message: `broken #${attempt}` })))
        const flaky = yield* enqueuePing("flaky")
        const broken = yield* enqueuePing("broken", { maxAttempts: 3 })
        yield* Effect.gen(function*() {
          const done = yield* awaitJob(flaky!, (s) => s.status === "succeeded")
          assert.strictEqual(done.attempts, 3)
          assert.strictEqual(done.lastError, "Boom: flaky #2")
          const dead = yield* awaitJob(broken!, (s) => s.status === "dead")
          assert.strictEqual(dead.attempts, 3)
          assert.strictEqual(dead.lastError, "Boom: broken #3")
        }).pipe(Effect.provide(TestWorker()))
        assert.deepStrictEqual(script.runs.filter((r) => r.id === "broken").map((r) => r.attempt), [1, 2, 3])
      }))

    it.effect("defects are retried; permanent failures and undecodable payloads are not", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const script = yield* Script
        const { PermanentJobFailure } = yield* Effect.promise(() => import("../../src/infra/JobRunner.ts"))
        script.behaviours.set("defect", (attempt) => attempt === 1 ? Effect.die(new TypeError("oops")) : Effect.void)
        script.behaviours.set("permanent", () => Effect.fail(new PermanentJobFailure({ message: "no such user" })))
        const defect = yield* enqueuePing("defect")
        const permanent = yield* enqueuePing("permanent")
        const [garbled] = yield* sql<{ id: string }>`
          INSERT INTO jobs (queue, task, payload) VALUES ('default', 'Ping', '{"_tag":"Ping","id":42}') RETURNING id::text AS id`
        yield* Effect.gen(function*() {
          const retried = yield* awaitJob(defect!, (s) => s.status === "succeeded")
          assert.strictEqual(retried.attempts, 2)
          assert.match(retried.lastError ?? "", /defect: TypeError: oops/)
          const dead = yield* awaitJob(permanent!, (s) => s.status === "dead")
          assert.deepStrictEqual([dead.attempts, dead.lastError], [1, "no such user"])
          const undecodable = yield* awaitJob(garbled!.id, (s) => s.status === "dead")
          assert.strictEqual(undecodable.attempts, 1)
          assert.match(undecodable.lastError ?? "", /payload no longer decodes as Ping/)
        }).pipe(Effect.provide(TestWorker()))
      }))

    it.effect("an attempt past its timeout is interrupted and retried, and its worker goes on", () =>
      Effect.gen(function*() {
        const script = yield* Script
        const interrupted = yield* Deferred.make<void>()
        script.behaviours.set("hangs", (attempt) =>
          attempt === 1 ? Effect.never.pipe(Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))) : Effect.void)
        const hangs = yield* enqueuePing("hangs", { maxAttempts: 2 })
        const after = yield* enqueuePing("after")
        yield* Effect.gen(function*() {
          const done = yield* awaitJob(hangs!, (s) => s.status === "succeeded")
          assert.strictEqual(done.attempts, 2)
          assert.match(done.lastError ?? "", /^AttemptTimedOut: attempt timed out after 300ms$/)
          yield* Deferred.await(interrupted)
          // One slot: the job behind the stuck one runs only if the slot was restarted.
          yield* awaitJob(after!, (s) => s.status === "succeeded")
        }).pipe(Effect.provide(TestWorker({ JOB_CONCURRENCY: "default=1" }, "300 millis")))
      }))

    it.effect("a job inserted without any wake-up is still found by polling", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        yield* Effect.gen(function*() {
          // Raw INSERT: no NOTIFY, no local wake-up; only the poll can find it.
          const [row] = yield* sql<{ id: string }>`
            INSERT INTO jobs (queue, task, payload) VALUES ('default', 'Ping', '{"_tag":"Ping","id":"silent"}')
            RETURNING id::text AS id`
          yield* awaitJob(row!.id, (s) => s.status === "succeeded")
        }).pipe(Effect.provide(TestWorker({ JOB_POLL_INTERVAL_MS: "100" })))
      }))

    it.effect("NOTIFY wakes a worker of another queue instance, whether the enqueue commits alone, in a transaction, or among others", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        // A second JobQueue: its enqueues reach the worker only through NOTIFY (the poll is 30 s).
        const other = yield* Layer.build(Layer.fresh(JobQueue.layer)).pipe(Effect.map(Context.get(JobQueue)))
        yield* Effect.gen(function*() {
          const alone = yield* other.enqueue(new Ping({ id: "alone" }))
          const inTransaction = yield* sql.withTransaction(other.enqueue(new Ping({ id: "in-transaction" })))
          const crowd = yield* Effect.forEach(Array.from({ length: 20 }, (_, i) => i), (i) =>
            other.enqueue(new Ping({ id: `crowd-${i}` })), { concurrency: "unbounded" })
          const ids = [alone, inTransaction, ...crowd].map((id) => Option.getOrThrow(id))
          yield* Effect.forEach(ids, (id) => awaitJob(id, (s) => s.status === "succeeded"), { discard: true }).pipe(
            Effect.timeout("5 seconds")
          )
        }).pipe(Effect.provide(TestWorker({ JOB_POLL_INTERVAL_MS: "30000" })))
      }))

    it.effect("a delayed job starts when due, not a poll interval later", () =>
      Effect.gen(function*() {
        const script = yield* Script
        yield* Effect.gen(function*() {
          const id = yield* enqueuePing("delayed", { delay: "300 millis" })
          const started = Date.now()
          yield* awaitJob(id!, (s) => s.status === "succeeded")
          const waited = Date.now() - started
          assert.isAtLeast(waited, 250)
          assert.isBelow(waited, 2000)
        }).pipe(Effect.provide(TestWorker({ JOB_POLL_INTERVAL_MS: "5000" })))
        assert.isTrue(script.runs.some((r) => r.id === "delayed"))
      }))

    it.effect("graceful shutdown: running jobs finish within the grace period, later ones are released", () =>
      Effect.gen(function*() {
        const script = yield* Script
        const quickStarted = yield* Deferred.make<void>()
        const stuckStarted = yield* Deferred.make<void>()
        const finishQuick = yield* Deferred.make<void>()
        script.behaviours.set("quick", () => Effect.andThen(Deferred.succeed(quickStarted, undefined), Deferred.await(finishQuick)))
        script.behaviours.set("stuck", () => Effect.andThen(Deferred.succeed(stuckStarted, undefined), Effect.never))
        const quick = yield* enqueuePing("quick")
        const stuck = yield* enqueuePing("stuck")

        const scope = yield* Scope.make()
        yield* Layer.buildWithScope(TestWorker({ JOB_SHUTDOWN_GRACE_MS: "500" }), scope).pipe(Effect.orDie)
        yield* Deferred.await(quickStarted)
        yield* Deferred.await(stuckStarted)
        const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
        yield* Deferred.succeed(finishQuick, undefined)
        yield* Fiber.join(closing)

        assert.strictEqual((yield* jobState(quick!))?.status, "succeeded")
        const released = yield* jobState(stuck!)
        assert.strictEqual(released?.status, "pending")
        assert.strictEqual(released?.attempts, 0, "an interrupted attempt is not counted")
        assert.isAtMost(released!.runAt.getTime(), Date.now() + 1000)
        const sql = yield* SqlClient
        const locked = yield* sql`SELECT id FROM jobs WHERE status = 'running'`
        assert.strictEqual(locked.length, 0, "nothing stays locked")
      }))
  })
})
