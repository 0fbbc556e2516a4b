/**
 * Operations: the job queue's history and controls, cron, and live statistics
 * of the pool, the cache and the queue.
 */
import { Context, Effect, Layer, Option, Schema } from "effect"
import type { QueueName } from "../domain/Job.ts"
import { InvalidTransition, NotFound } from "../domain/Errors.ts"
import { DEFAULT_LIMIT, decodeCursor, toPage } from "../domain/Page.ts"
import { nextRun } from "../infra/Cron.ts"
import { JobQueue, type JobStatus } from "../infra/JobQueue.ts"
import { Cache } from "../infra/Cache.ts"
import { PoolStats, SlowQueries } from "../infra/Sql.ts"

const iso = (date: Date | null) => date === null ? null : date.toISOString()

export class Ops extends Context.Service<Ops>()("maplehustle/ops/Ops", {
  make: Effect.gen(function*() {
    const queue = yield* JobQueue
    const pool = yield* PoolStats
    const slowQueries = yield* SlowQueries
    const cache = yield* Cache

    const listJobs = Effect.fn("Ops.listJobs")(function*(filter: {
      readonly queue?: QueueName | undefined
      readonly status?: JobStatus | undefined
      readonly limit?: number | undefined
      readonly cursor?: string | undefined
    }) {
      const limit = filter.limit ?? DEFAULT_LIMIT
      const after = yield* decodeCursor(filter.cursor, Schema.Tuple([Schema.String]))
      const rows = yield* queue.list({
        queue: filter.queue,
        status: filter.status,
        beforeId: Option.getOrUndefined(Option.map(after, ([id]) => id)),
        limit: limit + 1
      })
      return toPage(rows, limit, (row) => ({
        id: row.id,
        queue: row.queue,
        task: row.task,
        status: row.status,
        attempts: row.attempts,
        max_attempts: row.maxAttempts,
        run_at: row.runAt.toISOString(),
        last_error: row.lastError,
        created_at: row.createdAt.toISOString(),
        finished_at: iso(row.finishedAt)
      }), (row) => [row.id])
    })

    const control = (verb: "retry" | "cancel", allowed: string) =>
      Effect.fn(`Ops.${verb}Job`)(function*(id: string) {
        if (yield* queue[verb](id)) return
        if (!(yield* queue.exists(id))) return yield* new NotFound({ message: `No job ${id}` })
        return yield* new InvalidTransition({ message: `Job ${id} can be ${verb === "retry" ? "retried" : "canceled"} only when ${allowed}` })
      })

    const listCron = Effect.fn("Ops.listCron")(function*() {
      const now = new Date()
      return (yield* queue.cron.list).map((c) => ({
        name: c.name,
        schedule: c.schedule,
        last_run_at: iso(c.lastTickAt),
        next_run_at: nextRun(c.schedule, now).toISOString(),
        last_status: c.lastStatus
      }))
    })

    const stats = Effect.fn("Ops.stats")(function*() {
      const [counters, queues, cached, slow] = yield* Effect.all([pool.snapshot, queue.stats(), cache.stats, slowQueries.recent], { concurrency: 4 })
      const { totals } = cached
      return {
        pool: {
          max: counters.max,
          total: counters.total,
          idle: counters.idle,
          waiting: counters.waiting,
          acquired: counters.acquired,
          timed_out: counters.timedOut,
          shed: counters.shed,
          wait_ms_total: Math.round(counters.waitMsTotal * 10) / 10,
          wait_ms_max: Math.round(counters.waitMsMax * 10) / 10
        },
        cache: {
          hits: totals.hits + totals.negativeHits,
          misses: totals.misses,
          hit_ratio: totals.hits + totals.negativeHits + totals.misses === 0
            ? 0
            : Math.round(((totals.hits + totals.negativeHits) / (totals.hits + totals.negativeHits + totals.misses)) * 1000) / 1000,
          errors: totals.errors,
          backend: cached.backend,
          breaker: cached.breaker,
          entities: Object.fromEntries(Object.entries(cached.entities).map(([entity, s]) => [entity, {
            hits: s.hits,
            l1_hits: s.l1Hits,
            negative_hits: s.negativeHits,
            misses: s.misses,
            errors: s.errors,
            lookups: s.lookups,
            fills: s.fills,
            lease_waits: s.leaseWaits
          }])),
          redis: Option.match(cached.redis, {
            onNone: () => null,
            onSome: (info) => ({ used_memory_bytes: info.usedMemoryBytes, keys: info.keys })
          })
        },
        queue: Object.fromEntries(queues.map((q) => [q.queue, {
          pending: q.pending,
          running: q.running,
          failed_last_hour: q.failedLastHour,
          succeeded_last_hour: q.succeededLastHour,
          dead: q.dead,
          oldest_pending_age_s: q.oldestPendingAgeS === null ? null : Math.round(q.oldestPendingAgeS * 10) / 10
        }])),
        slow_queries: slow.map((q) => ({ sql: q.sql, duration_ms: q.durationMs, at: q.at.toISOString(), rows: q.rows, trace_id: q.traceId }))
      }
    })

    return {
      listJobs,
      retryJob: control("retry", "dead or canceled"),
      cancelJob: control("cancel", "pending"),
      listCron,
      stats,
      invalidateCache: (tags: ReadonlyArray<string>) => cache.invalidate(tags)
    }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}
