/**
 * The worker runtime: supervised fibers that claim jobs from the queue, run
 * their tasks, and record outcomes, started and stopped by a scoped Layer.
 *
 * Per queue, one fetcher claims batches of `JOB_BATCH_SIZE` jobs into a local
 * buffer (`FOR UPDATE SKIP LOCKED`) sized by `Prefetch`, and `concurrency`
 * slot fibers run them; two completers write finished attempts in batches; one
 * watchdog enforces attempt timeouts for every slot. Batching claim and
 * completion is what makes a Postgres queue fast (graphile-worker: 3.8k → 25k
 * jobs/s here with both); each alone gains little.
 *
 * A fetcher that finds nothing sleeps until the earliest of: a wake-up (an
 * enqueue in this process, a NOTIFY from another, a retry written here), the
 * next pending job's `run_at`, or the poll interval — so delayed jobs and
 * retries start on time and a lost NOTIFY (PGlite, a dropped listener) costs
 * at most one poll interval.
 *
 * Claimed jobs hold a lease renewed by a heartbeat; jobs of a worker that died
 * are reaped by any other once their lease expires. On shutdown no new claims
 * are made, unstarted jobs are released at once, running ones get a grace
 * period, and whatever is still running after it is interrupted and released.
 */
import {
  Cause,
  Config,
  Data,
  Deferred,
  Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  Option,
  Queue,
  Schedule,
  Schema,
  Scope,
  Tracer
} from "effect"
import * as Os from "node:os"
import { type Job, type JobTag, type QueueName, queueNames } from "../domain/Job.ts"
import { type ClaimedJob, JobQueue, NOTIFY_CHANNEL, type Outcome } from "./JobQueue.ts"
import * as Metrics from "./Metrics.ts"
import * as Settings from "./Settings.ts"

/** A handler's failure that retrying cannot fix: the job goes straight to `dead`. */
export class PermanentJobFailure extends Schema.TaggedError<PermanentJobFailure>()("PermanentJobFailure", {
  message: Schema.String
}) {}

class AttemptTimedOut extends Data.TaggedError("AttemptTimedOut")<{ readonly message: string }> {}

/** Exponential backoff from 1 s, doubling, with jitter, capped at 10 minutes. */
export const defaultRetry: Schedule.Schedule<unknown> = Schedule.exponential("1 second", 2).pipe(
  Schedule.jittered,
  Schedule.modifyDelay((metadata) => Effect.succeed(Duration.min(metadata.duration, Duration.minutes(10))))
)

export interface TaskContext {
  readonly jobId: string
  readonly attempt: number
  readonly maxAttempts: number
}

export interface Task<J extends Job = Job> {
  readonly tag: J["_tag"]
  /** The payload's decoder, built once (measured: 9 % of the runner's CPU when built per job). */
  readonly decode: (payload: unknown) => Exit.Exit<J, Schema.SchemaError>
  readonly handle: (job: J, context: TaskContext) => Effect.Effect<void, unknown>
  /** Delay before each retry; when the schedule ends the job is dead. */
  readonly retry: Schedule.Schedule<unknown>
  /** Longest an attempt may run before it is interrupted and counted as failed. */
  readonly timeout: Duration.Duration
}

/** Declares how a job type is handled. */
export const task = <S extends Schema.Codec<any, unknown> & { readonly identifier: string }>(
  schema: S,
  handle: (job: S["Type"], context: TaskContext) => Effect.Effect<void, unknown>,
  options?: { readonly retry?: Schedule.Schedule<unknown>; readonly timeout?: Duration.Input }
): Task => ({
  tag: schema.identifier as JobTag,
  decode: Schema.decodeUnknownExit(schema as Schema.Codec<Job, unknown>),
  handle: handle as Task["handle"],
  retry: options?.retry ?? defaultRetry,
  timeout: Duration.fromInputUnsafe(options?.timeout ?? "5 minutes")
})

/**
 * The delay before retry number `attempt` (1 = the first retry) under
 * `schedule`, or `None` when the schedule is exhausted by then.
 */
export const retryDelay = Effect.fnUntraced(function*(schedule: Schedule.Schedule<unknown>, attempt: number) {
  const step = yield* Schedule.toStep(schedule)
  let delay = Duration.zero
  for (let i = 0; i < attempt; i++) {
    const exit = yield* Effect.exit(step(0, undefined))
    if (Exit.isFailure(exit)) return Option.none<Duration.Duration>()
    delay = exit.value[1]
  }
  return Option.some(delay)
})

const describeFailure = (cause: Cause.Cause<unknown>): { readonly message: string; readonly permanent: boolean } => {
  const error = Cause.squash(cause)
  if (error instanceof PermanentJobFailure) return { message: error.message, permanent: true }
  if (Cause.hasDies(cause)) {
    return { message: `defect: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`, permanent: false }
  }
  if (error instanceof Error) {
    const tag = (error as { readonly _tag?: unknown })._tag
    return { message: `${typeof tag === "string" ? tag : error.name}: ${error.message}`, permanent: false }
  }
  return { message: String(error), permanent: false }
}

const OUTCOME_BUFFER = 1000

/**
 * How many claimed jobs a queue keeps ready: enough to last through one claim
 * round trip at the rate jobs are starting (twice over), never fewer than its
 * slots and never more than four batches. Fast jobs get a deep buffer, so the
 * workers do not wait for claims (measured on no-op jobs: slots found the
 * buffer empty ~2,500 times per 20,000 jobs with a fixed one-batch mark);
 * slow jobs keep it shallow, so one process does not hoard work that other
 * processes could start.
 */
class Prefetch {
  /** Buffer size: the highest mark plus a batch. */
  readonly capacity: number
  private mark: number
  private claimMs = 5
  private startsPerMs = 0
  private startedSince = 0
  private since = performance.now()
  private readonly slots: number
  private readonly batch: number
  constructor(slots: number, batch: number) {
    this.slots = slots
    this.batch = batch
    this.mark = Math.max(slots, batch)
    this.capacity = Math.max(slots, 4 * batch) + batch
  }
  lowWater(): number {
    return this.mark
  }
  started(): void {
    this.startedSince++
    const now = performance.now()
    if (now - this.since < 50) return
    this.startsPerMs = 0.7 * this.startsPerMs + 0.3 * (this.startedSince / (now - this.since))
    this.startedSince = 0
    this.since = now
    this.update()
  }
  claimed(roundTripMs: number): void {
    this.claimMs = 0.8 * this.claimMs + 0.2 * roundTripMs
    this.update()
  }
  private update(): void {
    const needed = Math.ceil(2 * this.startsPerMs * this.claimMs)
    this.mark = Math.min(Math.max(needed, this.slots), Math.max(this.slots, 4 * this.batch))
  }
}

/** Concurrency per queue: defaults, overridden by `JOB_CONCURRENCY` (`email=5,default=20`). */
const defaultConcurrency: Record<QueueName, number> = {
  email: 5,
  sms: 5,
  notifications: 10,
  files: 2,
  cleanup: 1,
  default: 10
}

const RunnerSettings = Config.all({
  queues: Settings.list("WORKER_QUEUES", queueNames),
  concurrency: Settings.list("JOB_CONCURRENCY", []),
  batchSize: Settings.int("JOB_BATCH_SIZE", { default: 50, min: 1, max: 1000 }),
  pollInterval: Settings.millis("JOB_POLL_INTERVAL_MS", 1000),
  lease: Settings.millis("JOB_LEASE_MS", 30_000, 100),
  shutdownGrace: Settings.millis("JOB_SHUTDOWN_GRACE_MS", 10_000, 0)
})

/** The `job.outcome` of an attempt on its span and in `jobs.processed`. */
const outcomeNames: Record<Outcome["_tag"], string> = { Succeeded: "succeeded", Retry: "retried", Dead: "dead" }

/** Runs `tasks` on this process's queues until the layer's scope closes. */
export const layer = (tasks: ReadonlyArray<Task>) =>
  Layer.effectDiscard(Effect.gen(function*() {
    const settings = yield* RunnerSettings
    const queue = yield* JobQueue
    const store = queue.worker
    const scope = yield* Scope.Scope
    const registry = new Map(tasks.map((t) => [t.tag, t]))
    const taskNames = [...registry.keys()]
    const worker = `${Os.hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 8)}`
    const queues = settings.queues.filter((q): q is QueueName => (queueNames as ReadonlyArray<string>).includes(q))
    const concurrency = { ...defaultConcurrency }
    for (const entry of settings.concurrency) {
      const [name, value] = entry.split("=")
      if (name !== undefined && name in concurrency && Number(value) > 0) concurrency[name as QueueName] = Number(value)
    }

    const context = yield* Effect.context<never>()
    const waitOf = Metrics.attributed(Metrics.jobWait)
    const processedOf = Metrics.attributed(Metrics.jobsProcessed)
    const durationOf = Metrics.attributed(Metrics.jobDuration)
    /** Counted once recorded, so the metric agrees with the job history. */
    const recordOutcome = ({ _tag, durationMs, job }: Outcome) => {
      const outcome = outcomeNames[_tag]
      processedOf(`${job.queue} ${job.task} ${outcome}`, () => ({ queue: job.queue, task: job.task, outcome }))
        .updateUnsafe(1, context)
      durationOf(`${job.queue} ${job.task}`, () => ({ queue: job.queue, task: job.task })).updateUnsafe(durationMs / 1000, context)
    }

    const held = new Map<string, ClaimedJob>()
    // Bounded: workers wait rather than run ahead of what the database has recorded.
    const outcomes = yield* Queue.bounded<Outcome, Cause.Done>(OUTCOME_BUFFER)
    const interrupted: Array<ClaimedJob> = []
    let inFlight = 0

    /** A failed attempt's outcome: a retry on the task's schedule, or dead when permanent or out of attempts. */
    const failedAttempt = (
      job: ClaimedJob,
      definition: Task,
      durationMs: number,
      failure: { readonly message: string; readonly permanent: boolean }
    ): Effect.Effect<Outcome> => {
      if (failure.permanent || job.attempt >= job.maxAttempts) {
        return Effect.succeed({ _tag: "Dead", job, durationMs, error: failure.message })
      }
      return Effect.map(retryDelay(definition.retry, job.attempt), (delay): Outcome =>
        Option.match(delay, {
          onNone: () => ({ _tag: "Dead", job, durationMs, error: failure.message }),
          onSome: (d) => ({ _tag: "Retry", job, durationMs, delayMs: Duration.toMillis(d), error: failure.message })
        }))
    }

    /** Runs one attempt to its outcome; the attempt timeout is the watchdog's (below). */
    const runJob = (job: ClaimedJob, definition: Task | undefined): Effect.Effect<Outcome> => {
      const started = performance.now()
      const elapsed = () => performance.now() - started
      if (definition === undefined) {
        return Effect.succeed({ _tag: "Dead", job, durationMs: 0, error: `no handler for task ${job.task}` })
      }
      const decoded = definition.decode(job.payload)
      if (Exit.isFailure(decoded)) {
        return Effect.succeed({
          _tag: "Dead",
          job,
          durationMs: 0,
          error: `payload no longer decodes as ${job.task}: ${Cause.pretty(decoded.cause)}`
        })
      }
      const parent = job.traceparent?.split("-")
      const links = parent !== undefined && parent.length === 4
        ? [{ span: Tracer.externalSpan({ traceId: parent[1]!, spanId: parent[2]!, sampled: parent[3] === "01" }), attributes: {} }]
        : []
      // A new trace per attempt, linked to the span that enqueued the job; it ends with the
      // attempt's outcome, a failed attempt as an error whether it will be retried or not.
      return Effect.useSpan(`job ${job.task}`, {
        kind: "consumer",
        root: true,
        links,
        attributes: {
          "job.id": job.id,
          "job.queue": job.queue,
          "job.task": job.task,
          "job.attempt": job.attempt,
          "job.max_attempts": job.maxAttempts
        }
      }, (span) =>
        definition.handle(decoded.value, { jobId: job.id, attempt: job.attempt, maxAttempts: job.maxAttempts }).pipe(
          // No stack capture: it would name this line for every job (measured: 48 → 36 µs of CPU per no-op job).
          Effect.withParentSpan(span, { captureStackTrace: false }),
          Effect.matchCauseEffect({
            onSuccess: (): Effect.Effect<Outcome> => {
              span.attribute("job.outcome", outcomeNames.Succeeded)
              return Effect.succeed({ _tag: "Succeeded", job, durationMs: elapsed() })
            },
            onFailure: (cause) =>
              Cause.hasInterruptsOnly(cause) ? Effect.interrupt : failedAttempt(job, definition, elapsed(), describeFailure(cause)).pipe(
                Effect.tap((outcome) =>
                  Effect.clockWith((clock) =>
                    Effect.sync(() => {
                      span.attribute("job.outcome", outcomeNames[outcome._tag])
                      span.end(clock.currentTimeNanosUnsafe(), Exit.failCause(cause))
                    })
                  )
                )
              )
          })
        )).pipe(Effect.annotateLogs({ job_id: job.id, job_task: job.task, job_attempt: job.attempt }))
    }

    /**
     * A worker fiber and the attempt it runs. Attempt timeouts are enforced by
     * one watchdog for all slots rather than by `Effect.timeout` per attempt:
     * that races two forked fibers and a timer for every job (measured: half of
     * the runner's CPU per no-op job). The watchdog interrupts an overrunning
     * slot, records the timeout as the attempt's failure and starts a new fiber.
     */
    interface Slot {
      /** Starts (or, after a timeout, restarts) the slot's fiber. */
      start: Effect.Effect<void>
      fiber: Fiber.Fiber<never> | undefined
      job: ClaimedJob | undefined
      definition: Task | undefined
      started: number
      deadline: number
    }
    const slots: Array<Slot> = []

    const logThrottled = (() => {
      let last = 0
      return (message: string, cause: Cause.Cause<unknown>) =>
        Effect.suspend(() => {
          const now = Date.now()
          if (now - last < 10_000) return Effect.void
          last = now
          return Effect.logWarning(message, cause)
        })
    })()

    const startQueue = Effect.fnUntraced(function*(name: QueueName) {
      const slotCount = concurrency[name]
      const batch = settings.batchSize
      const prefetch = new Prefetch(slotCount, batch)
      const buffer = yield* Queue.bounded<ClaimedJob>(prefetch.capacity)
      const signal = yield* Queue.sliding<void>(1)
      yield* store.onWake((woken) => {
        if (woken === name) Queue.offerUnsafe(signal, undefined)
      })

      const waitForWork = Effect.gen(function*() {
        const due = yield* store.nextDueIn(name, taskNames)
        const wait = Option.match(due, {
          onNone: () => Duration.toMillis(settings.pollInterval),
          onSome: (ms) => Math.min(Math.max(ms, 0), Duration.toMillis(settings.pollInterval))
        })
        if (wait > 0) yield* Effect.ignore(Effect.timeout(Queue.take(signal), Duration.millis(wait)))
      })

      // Refill at the low-water mark: each claim fetches a batch while the workers still have
      // enough to run for the claim's round trip, so they never wait for it.
      const fetchOnce: Effect.Effect<void> = Effect.gen(function*() {
        const buffered = yield* Queue.size(buffer)
        if (buffered > prefetch.lowWater()) {
          yield* Queue.take(signal)
          return
        }
        const room = prefetch.lowWater() + batch - buffered
        const sent = performance.now()
        const claimed = yield* store.claim({ queue: name, tasks: taskNames, limit: room, worker, lease: settings.lease })
        prefetch.claimed(performance.now() - sent)
        for (const job of claimed) held.set(job.id, job)
        yield* Queue.offerAll(buffer, claimed)
        if (claimed.length < room) yield* waitForWork
      }).pipe(
        Effect.catchCause((cause) =>
          Effect.andThen(
            logThrottled(`job queue ${name}: claiming failed; retrying`, cause),
            Effect.sleep(settings.pollInterval)
          )
        ),
        Effect.withTracerEnabled(false)
      )

      const runOne = (slot: Slot) =>
        Effect.flatMap(Queue.take(buffer), (job) => {
          prefetch.started()
          if (Queue.sizeUnsafe(buffer) <= prefetch.lowWater()) Queue.offerUnsafe(signal, undefined)
          inFlight++
          const definition = registry.get(job.task as JobTag)
          slot.job = job
          slot.definition = definition
          slot.started = performance.now()
          slot.deadline = slot.started + Duration.toMillis(definition?.timeout ?? Duration.infinity)
          waitOf(job.queue, () => ({ queue: job.queue })).updateUnsafe(Math.max(0, Date.now() - job.runAtMs) / 1000, context)
          // In flight until its outcome is queued for recording, so shutdown waits for both.
          return runJob(job, definition).pipe(
            Effect.flatMap((outcome) => {
              slot.job = undefined
              return Queue.offer(outcomes, outcome)
            }),
            Effect.onExit((exit) => {
              inFlight--
              // Interrupted while it still owns the job: shutdown (the watchdog takes the job first).
              if (Exit.isFailure(exit) && slot.job === job) interrupted.push(job)
              return Effect.void
            })
          )
        })
      const fetcher = yield* Effect.forkIn(Effect.forever(fetchOnce), scope)
      for (let i = 0; i < concurrency[name]; i++) {
        const slot: Slot = { start: Effect.void, fiber: undefined, job: undefined, definition: undefined, started: 0, deadline: 0 }
        slot.start = Effect.map(Effect.forkIn(Effect.forever(runOne(slot)), scope), (fiber) => {
          slot.fiber = fiber
        })
        yield* slot.start
        slots.push(slot)
      }
      return { name, buffer, fetcher }
    })

    const settle = (batch: ReadonlyArray<Outcome>) =>
      store.settle(worker, batch).pipe(
        Effect.retry({ schedule: Schedule.exponential("50 millis").pipe(Schedule.jittered), times: 10 }),
        Effect.tap(() =>
          Effect.sync(() =>
            batch.forEach((o) => {
              held.delete(o.job.id)
              recordOutcome(o)
            })
          )
        ),
        Effect.catchCause((cause) => Effect.logError("job outcomes could not be recorded; they will run again", cause)),
        Effect.withTracerEnabled(false)
      )

    // Two completers, so one batch is being written while the next one gathers; each runs until
    // the queue is ended at shutdown and drained.
    const completers = yield* Effect.forEach([1, 2], () =>
      Effect.forkIn(
        Effect.forever(Effect.flatMap(Queue.takeBetween(outcomes, 1, 500), settle)).pipe(Effect.catchTag("Done", () => Effect.void)),
        scope
      ))

    const heartbeat = yield* Effect.forkIn(
      Effect.suspend(() => store.renew(worker, [...held.keys()], settings.lease)).pipe(
        Effect.catchCause((cause) => logThrottled("job lease renewal failed", cause)),
        Effect.repeat(Schedule.spaced(Duration.divideUnsafe(settings.lease, 3))),
        Effect.withTracerEnabled(false)
      ),
      scope
    )

    const reaper = yield* Effect.forkIn(
      store.reapExpired.pipe(
        Effect.tap((n) => n > 0 ? Effect.logWarning(`re-queued ${n} job(s) whose worker stopped renewing their lease`) : Effect.void),
        Effect.catchCause((cause) => logThrottled("reaping expired job leases failed", cause)),
        Effect.repeat(Schedule.spaced(Duration.divideUnsafe(settings.lease, 2)).pipe(Schedule.jittered)),
        Effect.withTracerEnabled(false)
      ),
      scope
    )

    // Checks often enough for the shortest attempt timeout to be met within a tenth of it (at most 1 s late).
    const watchdogTick = Math.min(1000, Math.max(20, Math.min(...tasks.map((t) => Duration.toMillis(t.timeout))) / 10))
    const watchdog = yield* Effect.forkIn(
      Effect.gen(function*() {
        const now = performance.now()
        for (const slot of slots) {
          const job = slot.job
          if (job === undefined || slot.definition === undefined || now < slot.deadline) continue
          slot.job = undefined
          yield* Fiber.interrupt(slot.fiber!)
          const timedOut = new AttemptTimedOut({ message: `attempt timed out after ${Duration.format(slot.definition.timeout)}` })
          yield* Effect.logWarning(`job ${job.id} (${job.task}): ${timedOut.message}; interrupted`)
          const outcome = yield* failedAttempt(job, slot.definition, now - slot.started, describeFailure(Cause.fail(timedOut)))
          yield* Queue.offer(outcomes, outcome)
          yield* slot.start
        }
      }).pipe(Effect.repeat(Schedule.spaced(Duration.millis(watchdogTick))), Effect.withTracerEnabled(false)),
      scope
    )

    // NOTIFY from other processes; when the listening connection drops, listen again. Polling covers the gap.
    // The queues start once the first LISTEN has answered or failed, or a poll interval has passed (the poll covers
    // what a late LISTEN misses): their first claim then finds every job committed before it, and a NOTIFY for any
    // later one reaches them.
    const listening = yield* Deferred.make<void>()
    const listener = yield* Effect.forkIn(
      Effect.scoped(Effect.gen(function*() {
        const notifications = yield* store.listen(NOTIFY_CHANNEL)
        yield* Deferred.succeed(listening, undefined)
        return yield* Effect.forever(Effect.flatMap(Queue.take(notifications), (n) => store.wakeLocal(n.payload as QueueName)))
      })).pipe(
        Effect.catchCause((cause) => logThrottled("job LISTEN connection lost; polling until it is back", cause)),
        Effect.andThen(Deferred.succeed(listening, undefined)),
        Effect.andThen(Effect.sleep(settings.pollInterval)),
        Effect.forever,
        Effect.withTracerEnabled(false)
      ),
      scope
    )
    yield* Deferred.await(listening).pipe(Effect.timeoutOption(settings.pollInterval))

    const runners = yield* Effect.forEach(queues, startQueue)

    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        yield* Fiber.interruptAll(runners.map((r) => r.fetcher))
        const unstarted = (yield* Effect.forEach(runners, (r) => Queue.clear(r.buffer))).flat()
        yield* store.release(worker, unstarted).pipe(Effect.ignore)
        unstarted.forEach((job) => held.delete(job.id))
        yield* Effect.sync(() => inFlight).pipe(
          Effect.repeat({ until: (n) => n === 0, schedule: Schedule.spaced("10 millis") }),
          Effect.timeout(settings.shutdownGrace),
          Effect.ignore
        )
        yield* Fiber.interrupt(watchdog)
        yield* Fiber.interruptAll(slots.flatMap((slot) => slot.fiber === undefined ? [] : [slot.fiber]))
        // Every outcome of a finished attempt is recorded before the leases are given up.
        yield* Queue.end(outcomes)
        yield* Fiber.joinAll(completers).pipe(Effect.timeout("10 seconds"), Effect.ignore)
        yield* Fiber.interruptAll([...completers, heartbeat, reaper, listener])
        yield* store.release(worker, interrupted).pipe(Effect.ignore)
        const stillHeld = [...held.values()].filter((job) => !interrupted.includes(job))
        yield* store.release(worker, stillHeld).pipe(Effect.ignore)
        if (interrupted.length > 0) {
          yield* Effect.logWarning(`released ${interrupted.length} job(s) still running after the shutdown grace period`)
        }
      }).pipe(Effect.withTracerEnabled(false))
    )

    yield* Effect.logInfo(`workers: ${queues.map((q) => `${q}×${concurrency[q]}`).join(", ")} (${worker})`)
  }))
