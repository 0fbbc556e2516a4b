/**
 * Cron: schedules evaluated in UTC that only enqueue. Every worker process
 * runs the same schedules; each tick is claimed by one conditional UPDATE of
 * `cron_schedules.last_tick_at`, in the transaction that enqueues the job
 * (keyed `<name>:<tick>` as a second guard), so a tick runs exactly once
 * however many workers race for it. On start-up only the latest missed tick
 * runs — once — so an outage never causes a backlog storm.
 */
import { Clock, Cron, DateTime, Duration, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { Job } from "../domain/Job.ts"
import { type EnqueueOptions, JobQueue } from "./JobQueue.ts"

export interface CronJob {
  readonly name: string
  /** Five-field cron expression, UTC. */
  readonly schedule: string
  /** The job to enqueue for the tick at `tick`. */
  readonly job: (tick: Date) => Job
  readonly options?: Omit<EnqueueOptions, "key" | "replace">
}

export const parseSchedule = (schedule: string) => Cron.parseUnsafe(schedule, "UTC")

export const nextRun = (schedule: string, now: Date) => Cron.next(parseSchedule(schedule), now)

/** Enqueues `jobs` on their schedules until the layer's scope closes. */
export const layer = (jobs: ReadonlyArray<CronJob>) =>
  Layer.effectDiscard(Effect.gen(function*() {
    const queue = yield* JobQueue
    const sql = yield* SqlClient
    const schedules = jobs.map((job) => ({ ...job, cron: parseSchedule(job.schedule) }))

    const fire = Effect.fn("Cron.fire")(function*(job: (typeof schedules)[number], tick: Date) {
      const enqueued = yield* sql.withTransaction(Effect.gen(function*() {
        if (!(yield* queue.cron.claimTick(job.name, tick))) return false
        const id = yield* queue.enqueue(job.job(tick), { ...job.options, key: `${job.name}:${tick.toISOString()}` })
        if (id._tag === "Some") yield* queue.cron.recordJob(job.name, id.value)
        return true
      }))
      if (enqueued) yield* Effect.logInfo(`cron ${job.name}: enqueued the ${tick.toISOString()} tick`)
    }, (effect) => Effect.catchCause(effect, (cause) => Effect.logError("cron tick failed", cause)))

    const now = yield* Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))
    for (const job of schedules) {
      yield* queue.cron.register(job.name, job.schedule, Cron.prev(job.cron, now))
    }
    // Catch up: the latest tick that came while nothing ran, once.
    yield* Effect.forEach(schedules, (job) => fire(job, Cron.prev(job.cron, now)), { discard: true })

    const loop = Effect.gen(function*() {
      const current = DateTime.toDateUtc(yield* DateTime.now)
      const upcoming = schedules.map((job) => ({ job, at: Cron.next(job.cron, current) }))
      const soonest = Math.min(...upcoming.map((u) => u.at.getTime()))
      yield* Effect.sleep(Duration.millis(Math.max(0, soonest - current.getTime())))
      yield* Effect.forEach(
        upcoming.filter((u) => u.at.getTime() === soonest),
        (u) => fire(u.job, u.at),
        { discard: true }
      )
    })
    if (schedules.length > 0) yield* Effect.forkScoped(Effect.forever(loop))
  }))
