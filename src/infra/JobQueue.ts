/**
 * The Postgres-backed job queue: enqueueing (in the caller's transaction),
 * and the statements the workers and the ops endpoints run. The runtime that
 * claims and runs jobs is `JobRunner.ts`; cron is `Cron.ts`.
 *
 * - A job exists if and only if the transaction that enqueued it commits: the
 *   INSERT joins the caller's transaction, and the wake-up is sent after commit.
 * - Wake-ups adapt to load. Postgres commits notifying transactions one after
 *   another (a lock on its notification queue), so a NOTIFY in every
 *   concurrent enqueue loses group commit (measured: 1.4k vs 2.2k enqueues/s
 *   with 10 callers). Enqueues in a business transaction, and enqueues while
 *   another is in flight, therefore only mark their queue; one fiber sends at
 *   most one NOTIFY per queue per flush, after commit. A lone enqueue outside
 *   a transaction has nobody to serialise with: it notifies in its own
 *   statement and saves the flush's round trip (measured: enqueue → start
 *   p50 2.4 → 1.9 ms).
 * - Every statement has a fixed text whatever the batch size (arrays and
 *   `jsonb_to_recordset`), so each is prepared once per connection.
 * - Outcomes and releases are fenced by `locked_by` and `attempts`, lease
 *   renewals by `locked_by`: a worker whose lease expired cannot complete or
 *   keep a job that another worker has since claimed. `locked_by` is set
 *   exactly while a job runs (a CHECK says so), so the fences leave out
 *   `status = 'running'`: with it the planner walks the lease index, which is
 *   full of dead entries under churn (measured: 52 vs 21 µs per completed job),
 *   instead of looking each job up by its key.
 * - A success moves the row to `completed_jobs` (a DELETE and an append: half
 *   the Postgres time of an in-place UPDATE); `all_jobs` reads both tables.
 */
import { PgClient } from "@effect/sql-pg/PgClient"
import { Context, Duration, Effect, Layer, Option, Queue, References, Schema, Tracer } from "effect"
import type { SqlError } from "effect/sql/SqlError"
import { defaultQueue, Job, type QueueName } from "../domain/Job.ts"
import * as PgPoolClient from "./PgPoolClient.ts"
import * as Settings from "./Settings.ts"
import { DatabaseBackend } from "./Sql.ts"

export interface EnqueueOptions {
  readonly queue?: QueueName | undefined
  readonly runAt?: Date | undefined
  readonly delay?: Duration.Input | undefined
  readonly priority?: number | undefined
  readonly maxAttempts?: number | undefined
  /** At most one pending or running job per key: a second enqueue is dropped… */
  readonly key?: string | undefined
  /** …unless `replace`: then a pending job with the key takes the new payload, run time and priority. */
  readonly replace?: boolean | undefined
}

export interface ClaimedJob {
  readonly id: string
  readonly queue: QueueName
  readonly task: string
  readonly payload: unknown
  readonly priority: number
  /** This attempt's number, starting at 1. */
  readonly attempt: number
  readonly maxAttempts: number
  /** The enqueuing span's W3C `traceparent`, when there was one. */
  readonly traceparent: string | null
  /** When the job was due, in epoch milliseconds: its start minus this is how long it waited. */
  readonly runAtMs: number
}

export type Outcome =
  | { readonly _tag: "Succeeded"; readonly job: ClaimedJob; readonly durationMs: number }
  | { readonly _tag: "Retry"; readonly job: ClaimedJob; readonly durationMs: number; readonly delayMs: number; readonly error: string }
  | { readonly _tag: "Dead"; readonly job: ClaimedJob; readonly durationMs: number; readonly error: string }

export const JobStatus = Schema.Literals(["pending", "running", "succeeded", "dead", "canceled"])
export type JobStatus = typeof JobStatus.Type

export interface JobRow {
  readonly id: string
  readonly queue: string
  readonly task: string
  readonly status: JobStatus
  readonly attempts: number
  readonly maxAttempts: number
  readonly runAt: Date
  readonly lastError: string | null
  readonly createdAt: Date
  readonly finishedAt: Date | null
}

/** Default attempts for tasks that do not say: delivery tasks (email, SMS) retry 5 times. */
export const DEFAULT_MAX_ATTEMPTS = 5
export const NOTIFY_CHANNEL = "maplehustle_jobs"
const MAX_ERROR_LENGTH = 4000

const JobJson = Schema.toCodecJson(Job)
/** Encoding a well-typed job can only fail on a bug: a defect. */
const encodeJob = Schema.encodeSync(JobJson)

const truncate = (text: string) => text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH)}…` : text

/**
 * `traceparent` of the current span, stored with the job so its run can link
 * back; none while tracing is off (its spans are no-ops without ids). Not
 * `Effect.currentSpan`, which fails, capturing a stack, where there is no span.
 */
const currentTraceparent = Effect.gen(function*() {
  if (!(yield* References.TracerEnabled)) return null
  const span = Option.getOrUndefined(yield* Effect.serviceOption(Tracer.ParentSpan))
  return span === undefined ? null : { traceparent: `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}` }
})


export class JobQueue extends Context.Service<JobQueue>()("maplehustle/infra/JobQueue", {
  make: Effect.gen(function*() {
    const sql = yield* PgClient
    const backend = yield* DatabaseBackend
    // The worker side's own small pool, committing asynchronously: a claim or an outcome lost in a
    // database crash only makes a job run again (at least once, as always), and the fsync it saves
    // is most of a claim's latency. Multiplexed: claims, outcomes and renewals from many fibers are
    // pipelined on few connections (measured: +30 % jobs/s, the socket round trips being the cost).
    // Enqueues stay on the caller's connection and commit durably.
    const { client: wsql } = yield* PgPoolClient.make({
      ...backend.connection,
      applicationName: "maplehustle-jobs",
      startupParameters: { ...backend.connection.startupParameters, synchronous_commit: "off" },
      maxConnections: yield* Settings.int("JOB_DB_POOL_MAX", { default: 6, min: 2, max: 100 }),
      multiplex: true,
      minConnections: 0,
      idleTimeout: Duration.seconds(30),
      connectionTTL: Duration.hours(1),
      acquireTimeout: Duration.seconds(10),
      maxWaiting: 10_000
    })

    const wraw = wsql.withoutTransforms()

    // Coalesced wake-ups: local runners subscribe to `woken`; other processes get one NOTIFY per queue per flush.
    const dirty = new Set<QueueName>()
    const flushSignal = yield* Queue.sliding<void>(1)
    const localWake = new Set<(queue: QueueName) => void>()
    /** Wakes this process's runners of `queues`. */
    const wakeLocal = (queues: Iterable<QueueName>) =>
      Effect.sync(() => {
        for (const queue of new Set(queues)) {
          for (const listener of localWake) listener(queue)
        }
      })
    /** Wakes the runners of `queues`: here at once, elsewhere by the next flush's NOTIFY. */
    const wake = (queues: ReadonlyArray<QueueName>) =>
      Effect.andThen(wakeLocal(queues), Effect.sync(() => {
        for (const queue of queues) dirty.add(queue)
        if (dirty.size > 0) Queue.offerUnsafe(flushSignal, undefined)
      }))
    yield* Queue.take(flushSignal).pipe(
      Effect.flatMap(() => {
        const queues = [...dirty]
        dirty.clear()
        return wsql`SELECT pg_notify(${NOTIFY_CHANNEL}, q) FROM unnest(${queues}::text[]) AS q`
      }),
      Effect.catchCause((cause) => Effect.logWarning("job wake-up NOTIFY failed; workers will poll", cause)),
      Effect.forever,
      Effect.withTracerEnabled(false),
      Effect.forkScoped
    )

    const insertRows = (replace: boolean, rows: ReadonlyArray<Record<string, unknown>>) =>
      sql<{ id: string; queue: QueueName }>`
        INSERT INTO jobs (queue, task, payload, priority, run_at, max_attempts, key, trace_context)
        SELECT queue, task, payload, priority, COALESCE(run_at, now() + delay_ms * interval '1 millisecond'),
               max_attempts, key, trace_context
        FROM jsonb_to_recordset(${sql.json(rows)}) AS x(queue text, task text, payload jsonb, priority int2,
             run_at timestamptz, delay_ms float8, max_attempts int4, key text, trace_context jsonb)
        ON CONFLICT (key) WHERE key IS NOT NULL AND status IN ('pending', 'running')
        ${
        replace
          ? sql`DO UPDATE SET payload = EXCLUDED.payload, run_at = EXCLUDED.run_at, priority = EXCLUDED.priority,
                max_attempts = EXCLUDED.max_attempts, trace_context = EXCLUDED.trace_context
                WHERE jobs.status = 'pending'`
          : sql`DO NOTHING`
      }
        RETURNING id::text AS id, queue`

    /** Enqueue statements that notify in-line and have not returned yet. */
    let notifyingInFlight = 0

    /**
     * Inserts `rows` and wakes the workers of their queues: in the statement
     * itself when it commits on its own and no other in-line notifier is in
     * flight, else after the caller's commit through the coalescing flush.
     */
    const insert = (replace: boolean, rows: ReadonlyArray<Record<string, unknown>>) =>
      Effect.flatMap(Effect.serviceOption(sql.transactionService), (transaction) => {
        if (Option.isSome(transaction) || notifyingInFlight > 0) {
          return Effect.tap(insertRows(replace, rows), (inserted) => sql.afterCommit(wake(inserted.map((r) => r.queue))))
        }
        notifyingInFlight++
        // The InitPlan makes Postgres run the notifying CTE, which nothing else reads.
        return sql<{ id: string; queue: QueueName }>`
          WITH inserted AS (${insertRows(replace, rows)}),
          notified AS (SELECT pg_notify(${NOTIFY_CHANNEL}, q) FROM (SELECT DISTINCT queue AS q FROM inserted) AS queues)
          SELECT id, queue FROM inserted WHERE (SELECT count(*) FROM notified) >= 0`.pipe(
          Effect.tap((inserted) => wakeLocal(inserted.map((r) => r.queue))),
          Effect.ensuring(Effect.sync(() => notifyingInFlight--))
        )
      })

    const queueOf = (job: Job, options: EnqueueOptions | undefined) => options?.queue ?? defaultQueue[job._tag]

    const toRow = (job: Job, options: EnqueueOptions | undefined, trace: unknown) => ({
        queue: queueOf(job, options),
        task: job._tag,
        payload: encodeJob(job),
        priority: options?.priority ?? 0,
        run_at: options?.runAt?.toISOString() ?? null,
        delay_ms: options?.delay === undefined ? 0 : Duration.toMillis(Duration.fromInputUnsafe(options.delay)),
        max_attempts: options?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
        key: options?.key ?? null,
        trace_context: trace
      })

    /**
     * Enqueues `job` in the current transaction, if any. Returns the new job's
     * id, or `None` when a pending job with the same key kept its place.
     */
    const enqueue = (job: Job, options?: EnqueueOptions) =>
      Effect.gen(function*() {
        const row = toRow(job, options, yield* currentTraceparent)
        const inserted = yield* insert(options?.replace === true && options.key !== undefined, [row])
        return Option.fromNullishOr(inserted[0]?.id)
      }).pipe(
        Effect.orDie,
        // The PRODUCER span the job's runs link back to (its traceparent is the one stored).
        Effect.withSpan(`enqueue ${job._tag}`, {
          kind: "producer",
          attributes: {
            "job.queue": queueOf(job, options),
            "job.task": job._tag,
            ...(options?.key === undefined ? {} : { "job.key": options.key })
          }
        }, { captureStackTrace: false })
      )

    /** Many jobs in one statement; returns how many were inserted (key duplicates are dropped). */
    const enqueueMany = (entries: ReadonlyArray<{ readonly job: Job; readonly options?: EnqueueOptions }>) => {
      if (entries.length === 0) return Effect.succeed(0)
      const tasks = [...new Set(entries.map((e) => e.job._tag))].sort().join(",")
      return Effect.gen(function*() {
        const trace = yield* currentTraceparent
        const rows = entries.map(({ job, options }) => toRow(job, options, trace))
        const inserted = yield* insert(false, rows)
        return inserted.length
      }).pipe(
        Effect.orDie,
        Effect.withSpan(`enqueue ${tasks}`, {
          kind: "producer",
          attributes: { "job.task": tasks, "job.count": entries.length }
        }, { captureStackTrace: false })
      )
    }

    /** Cancels the pending job with `key` (a reminder for a booking that was canceled). */
    const cancelByKey = Effect.fn("JobQueue.cancelByKey")(function*(key: string) {
      const rows = yield* sql`
        UPDATE jobs SET status = 'canceled', finished_at = now()
        WHERE key = ${key} AND status = 'pending' RETURNING id`
      return rows.length > 0
    }, Effect.orDie)

    // ---- worker side ----

    /** Claims up to `limit` due jobs of `queue` among `tasks`, leasing them to `worker`. */
    const claim = (options: {
      readonly queue: QueueName
      readonly tasks: ReadonlyArray<string>
      readonly limit: number
      readonly worker: string
      readonly lease: Duration.Duration
    }): Effect.Effect<ReadonlyArray<ClaimedJob>, SqlError> =>
      // Aliased to `ClaimedJob`'s names and read without the name transform (measured: 5 % of a worker's CPU).
      wraw<ClaimedJob>`
        WITH next AS (
          SELECT id FROM jobs
          WHERE status = 'pending' AND queue = ${options.queue} AND run_at <= now() AND task = ANY(${options.tasks}::text[])
          ORDER BY priority DESC, run_at, id
          LIMIT ${options.limit}
          FOR UPDATE SKIP LOCKED
        ), claimed AS (
          -- By key, not by joining next: that join is planned as a scan of the whole table.
          UPDATE jobs SET status = 'running', attempts = jobs.attempts + 1, locked_by = ${options.worker},
            lease_expires_at = now() + ${Duration.toMillis(options.lease)} * interval '1 millisecond',
            started_at = COALESCE(jobs.started_at, now())
          WHERE jobs.id = ANY(ARRAY(SELECT id FROM next))
          RETURNING jobs.id, jobs.queue, jobs.task, jobs.payload, jobs.priority, jobs.attempts, jobs.max_attempts,
                    jobs.trace_context, jobs.run_at
        )
        SELECT id::text AS id, queue, task, payload, priority, attempts AS attempt, max_attempts AS "maxAttempts",
               trace_context->>'traceparent' AS traceparent, (EXTRACT(EPOCH FROM run_at) * 1000)::float8 AS "runAtMs"
        FROM claimed ORDER BY priority DESC, run_at, id`

    /**
     * Milliseconds until the next job of `queue` scheduled for later is due
     * (≤ 0: due now), or `None` if there is none. Asked after a claim that
     * found fewer jobs than it wanted, when every due job not locked by another
     * claim is taken: what remains to wait for was scheduled after its creation
     * (a delay, a retry, a release), which is what `jobs_delayed_idx` holds.
     */
    const nextDueIn = (queue: QueueName, tasks: ReadonlyArray<string>) =>
      wsql<{ ms: number | null }>`
        SELECT (EXTRACT(EPOCH FROM (min(run_at) - now())) * 1000)::float8 AS ms FROM jobs
        WHERE status = 'pending' AND queue = ${queue} AND run_at > created_at AND task = ANY(${tasks}::text[])`.pipe(
        Effect.map((rows) => Option.fromNullishOr(rows[0]?.ms))
      )

    /** Records the outcomes of finished attempts: at most two statements whatever their number. */
    const settle = (worker: string, outcomes: ReadonlyArray<Outcome>): Effect.Effect<void, SqlError> => {
      const succeeded = outcomes.filter((o) => o._tag === "Succeeded")
      const failed = outcomes.filter((o) => o._tag !== "Succeeded")
      const complete: Effect.Effect<unknown, SqlError> = succeeded.length === 0 ? Effect.void : wsql`
        WITH done AS (
          DELETE FROM jobs
          USING unnest(${succeeded.map((o) => o.job.id)}::bigint[], ${succeeded.map((o) => o.job.attempt)}::int4[],
                       ${succeeded.map((o) => Math.round(o.durationMs))}::int4[]) AS d(id, attempt, duration_ms)
          WHERE jobs.id = d.id AND jobs.attempts = d.attempt AND jobs.locked_by = ${worker}
          RETURNING jobs.id, jobs.queue, jobs.task, jobs.payload, jobs.priority, jobs.run_at, jobs.attempts, jobs.max_attempts,
                    jobs.key, jobs.last_error, jobs.last_error_at, jobs.trace_context, jobs.created_at, jobs.started_at,
                    d.duration_ms
        )
        INSERT INTO completed_jobs (id, queue, task, payload, priority, run_at, attempts, max_attempts, key, last_error,
                                    last_error_at, trace_context, created_at, started_at, finished_at, duration_ms)
        SELECT id, queue, task, payload, priority, run_at, attempts, max_attempts, key, last_error,
               last_error_at, trace_context, created_at, started_at, now(), duration_ms
        FROM done`
      const fail: Effect.Effect<unknown, SqlError> = failed.length === 0 ? Effect.void : wsql`
        UPDATE jobs SET
          status = d.status::job_status,
          run_at = CASE WHEN d.status = 'pending' THEN now() + d.delay_ms * interval '1 millisecond' ELSE jobs.run_at END,
          finished_at = CASE WHEN d.status = 'dead' THEN now() END,
          duration_ms = d.duration_ms, last_error = d.error, last_error_at = now(),
          locked_by = NULL, lease_expires_at = NULL
        FROM unnest(${failed.map((o) => o.job.id)}::bigint[], ${failed.map((o) => o.job.attempt)}::int4[],
                    ${failed.map((o) => o._tag === "Retry" ? "pending" : "dead")}::text[],
                    ${failed.map((o) => o._tag === "Retry" ? o.delayMs : 0)}::float8[],
                    ${failed.map((o) => Math.round(o.durationMs))}::int4[],
                    ${failed.map((o) => truncate(o.error))}::text[]) AS d(id, attempt, status, delay_ms, duration_ms, error)
        WHERE jobs.id = d.id AND jobs.attempts = d.attempt AND jobs.locked_by = ${worker}`
      return Effect.andThen(complete, fail).pipe(
        Effect.andThen(wake(failed.filter((o) => o._tag === "Retry").map((o) => o.job.queue)))
      )
    }

    /** Hands unstarted or interrupted jobs back for immediate retry; the attempt is not counted. */
    const release = (worker: string, jobs: ReadonlyArray<ClaimedJob>): Effect.Effect<void, SqlError> =>
      jobs.length === 0 ? Effect.void : wsql`
        UPDATE jobs SET status = 'pending', attempts = jobs.attempts - 1, run_at = now(),
          locked_by = NULL, lease_expires_at = NULL
        FROM unnest(${jobs.map((j) => j.id)}::bigint[], ${jobs.map((j) => j.attempt)}::int4[]) AS d(id, attempt)
        WHERE jobs.id = d.id AND jobs.attempts = d.attempt AND jobs.locked_by = ${worker}`.pipe(
        Effect.andThen(wake(jobs.map((j) => j.queue)))
      )

    /** Extends the leases of every job `worker` holds. */
    const renew = (worker: string, ids: ReadonlyArray<string>, lease: Duration.Duration) =>
      ids.length === 0 ? Effect.void : Effect.asVoid(wsql`
        UPDATE jobs SET lease_expires_at = now() + ${Duration.toMillis(lease)} * interval '1 millisecond'
        WHERE id = ANY(${ids}::bigint[]) AND locked_by = ${worker}`)

    /** Jobs whose worker stopped renewing (it died): retried, or dead when out of attempts. */
    const reapExpired = wsql<{ queue: QueueName }>`
      UPDATE jobs SET
        status = CASE WHEN attempts >= max_attempts THEN 'dead'::job_status ELSE 'pending'::job_status END,
        finished_at = CASE WHEN attempts >= max_attempts THEN now() END,
        run_at = now(),
        last_error = 'lease expired: worker ' || COALESCE(locked_by, '?') || ' stopped renewing it',
        last_error_at = now(), locked_by = NULL, lease_expires_at = NULL
      WHERE status = 'running' AND lease_expires_at < now()
      RETURNING queue`.pipe(
      Effect.tap((rows) => wake(rows.map((r) => r.queue))),
      Effect.map((rows) => rows.length)
    )

    // ---- ops ----

    const list = Effect.fn("JobQueue.list")(function*(filter: {
      readonly queue?: string | undefined
      readonly status?: JobStatus | undefined
      readonly beforeId?: string | undefined
      readonly limit: number
    }) {
      return yield* sql<JobRow>`
        SELECT id::text AS id, queue, task, status, attempts, max_attempts, run_at, last_error, created_at, finished_at
        FROM all_jobs
        WHERE ${filter.queue === undefined ? sql`TRUE` : sql`queue = ${filter.queue}`}
          AND ${filter.status === undefined ? sql`TRUE` : sql`status = ${filter.status}::job_status`}
          AND ${filter.beforeId === undefined ? sql`TRUE` : sql`id < ${filter.beforeId}::bigint`}
        ORDER BY id DESC
        LIMIT ${filter.limit}`
    }, Effect.orDie)

    /** Puts a dead (or canceled) job back in line with fresh attempts; false if it is not in such a state. */
    const retry = Effect.fn("JobQueue.retry")(function*(id: string) {
      const rows = yield* sql<{ queue: QueueName }>`
        UPDATE jobs SET status = 'pending', attempts = 0, run_at = now(), finished_at = NULL, duration_ms = NULL
        WHERE id = ${id}::bigint AND status IN ('dead', 'canceled')
        RETURNING queue`
      yield* wake(rows.map((r) => r.queue))
      return rows.length > 0
    }, Effect.orDie)

    /** Cancels a pending job; false if it is not pending. */
    const cancel = Effect.fn("JobQueue.cancel")(function*(id: string) {
      const rows = yield* sql`
        UPDATE jobs SET status = 'canceled', finished_at = now()
        WHERE id = ${id}::bigint AND status = 'pending' RETURNING id`
      return rows.length > 0
    }, Effect.orDie)

    const exists = Effect.fn("JobQueue.exists")(function*(id: string) {
      const rows = yield* sql`SELECT 1 FROM all_jobs WHERE id = ${id}::bigint`
      return rows.length > 0
    }, Effect.orDie)

    /** Per-queue counts for `GET /ops/stats`. */
    const stats = Effect.fn("JobQueue.stats")(function*() {
      const rows = yield* sql<{
        queue: string
        pending: number
        running: number
        dead: number
        succeededLastHour: number
        failedLastHour: number
        oldestPendingAgeS: number | null
      }>`
        WITH live AS (
          SELECT queue,
            count(*) FILTER (WHERE status = 'pending')::int AS pending,
            count(*) FILTER (WHERE status = 'running')::int AS running,
            count(*) FILTER (WHERE status = 'dead')::int AS dead,
            count(*) FILTER (WHERE last_error_at > now() - interval '1 hour')::int AS failed,
            (EXTRACT(EPOCH FROM now() - min(run_at) FILTER (WHERE status = 'pending' AND run_at <= now())))::float8
              AS oldest_pending_age_s
          FROM jobs
          WHERE status IN ('pending', 'running', 'dead') OR last_error_at > now() - interval '1 hour'
          GROUP BY queue
        ), done AS (
          -- A job that failed within the hour and then succeeded finished within the hour too (the BRIN index).
          SELECT queue, count(*)::int AS succeeded,
            count(*) FILTER (WHERE last_error_at > now() - interval '1 hour')::int AS failed
          FROM completed_jobs WHERE finished_at > now() - interval '1 hour'
          GROUP BY queue
        )
        SELECT COALESCE(live.queue, done.queue) AS queue,
          COALESCE(live.pending, 0) AS pending, COALESCE(live.running, 0) AS running, COALESCE(live.dead, 0) AS dead,
          COALESCE(done.succeeded, 0) AS succeeded_last_hour,
          COALESCE(live.failed, 0) + COALESCE(done.failed, 0) AS failed_last_hour,
          live.oldest_pending_age_s
        FROM live FULL JOIN done ON done.queue = live.queue`
      return rows
    }, Effect.orDie)

    // ---- cron ----

    /** Registers a schedule; a new one starts at `initialTick`, so nothing counts as missed before it existed. */
    const registerCron = (name: string, schedule: string, initialTick: Date) =>
      Effect.asVoid(sql`
        INSERT INTO cron_schedules (name, schedule, last_tick_at) VALUES (${name}, ${schedule}, ${initialTick})
        ON CONFLICT (name) DO UPDATE SET schedule = EXCLUDED.schedule, updated_at = now()`).pipe(Effect.orDie)

    /**
     * Claims tick `tick` of `name` for this process: true for exactly one
     * caller per tick, whatever the number of workers racing for it.
     */
    const claimCronTick = (name: string, tick: Date) =>
      sql`
        UPDATE cron_schedules SET last_tick_at = ${tick}, updated_at = now()
        WHERE name = ${name} AND (last_tick_at IS NULL OR last_tick_at < ${tick})
        RETURNING name`.pipe(Effect.map((rows) => rows.length > 0), Effect.orDie)

    const recordCronJob = (name: string, jobId: string) =>
      Effect.asVoid(sql`UPDATE cron_schedules SET last_job_id = ${jobId}::bigint WHERE name = ${name}`).pipe(Effect.orDie)

    const listCron = sql<{ name: string; schedule: string; lastTickAt: Date | null; lastStatus: JobStatus | null }>`
      SELECT c.name, c.schedule, c.last_tick_at, j.status AS last_status
      FROM cron_schedules c LEFT JOIN all_jobs j ON j.id = c.last_job_id
      ORDER BY c.name`.pipe(Effect.orDie, Effect.withSpan("JobQueue.listCron"))

    return {
      enqueue,
      enqueueMany,
      cancelByKey,
      list,
      retry,
      cancel,
      exists,
      stats,
      /** For `Cron`: exactly-once tick claims. */
      cron: { register: registerCron, claimTick: claimCronTick, recordJob: recordCronJob, list: listCron },
      /** For `JobRunner`: the statements and wake-ups of the worker side. */
      worker: {
        claim,
        nextDueIn,
        settle,
        release,
        renew,
        reapExpired,
        /** LISTEN on the worker pool: one held connection, not one of the API's. */
        listen: wsql.listen,
        /** Wakes this process's runners only (a NOTIFY from another process). */
        wakeLocal: (queue: QueueName) => wakeLocal([queue]),
        onWake: (listener: (queue: QueueName) => void) =>
          Effect.acquireRelease(
            Effect.sync(() => localWake.add(listener)),
            () => Effect.sync(() => localWake.delete(listener))
          )
      }
    }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}
