/**
 * Test harness for the job queue: a `Ping` task whose behaviour each test
 * scripts per job id, a worker layer on the test database, and helpers that
 * read or await job rows.
 */
import { ConfigProvider, Context, type Duration, Effect, Layer, Schedule } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { Ping } from "../../src/domain/Job.ts"
import { JobQueue } from "../../src/infra/JobQueue.ts"
import * as JobRunner from "../../src/infra/JobRunner.ts"
import { Mailer } from "../../src/infra/Mailer.ts"
import { SmsSender } from "../../src/infra/SmsSender.ts"
import * as NotificationsJobs from "../../src/notifications/Jobs.ts"
import { NotificationsRepo } from "../../src/notifications/NotificationsRepo.ts"

export interface Run {
  readonly id: string
  readonly attempt: number
}

/** What the `Ping` handler does, per job id (default: succeed), and every run it saw. */
export class Script extends Context.Service<Script, {
  readonly behaviours: Map<string, (attempt: number) => Effect.Effect<void, unknown>>
  readonly runs: Array<Run>
}>()("maplehustle/test/utils/Jobs/Script") {
  static readonly layer = Layer.sync(Script, () => ({ behaviours: new Map(), runs: [] }))
}

const pingTask = (timeout: Duration.Input) => Script.use((script) => Effect.succeed(
  JobRunner.task(
    Ping,
    (job, context) =>
      Effect.suspend(() => {
        script.runs.push({ id: job.id, attempt: context.attempt })
        return script.behaviours.get(job.id)?.(context.attempt) ?? Effect.void
      }),
    { retry: Schedule.spaced("20 millis"), timeout }
  )))

/**
 * A worker for `Ping` on the current test database; `settings` override JOB_*
 * variables, `timeout` is the Ping task's attempt timeout.
 */
export const TestWorker = (settings: Record<string, string> = {}, timeout: Duration.Input = "1 minute") =>
  Layer.unwrap(Effect.map(pingTask(timeout), (task) => JobRunner.layer([task]))).pipe(
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ JOB_POLL_INTERVAL_MS: "200", ...settings })))
  )

export interface JobState {
  readonly status: string
  readonly attempts: number
  readonly lastError: string | null
  readonly runAt: Date
  readonly key: string | null
  readonly payload: { readonly id?: string }
}

export const jobState = (id: string) =>
  SqlClient.use((sql) =>
    sql<JobState>`SELECT status, attempts, last_error, run_at, key, payload FROM all_jobs WHERE id = ${id}::bigint`
  ).pipe(Effect.map((rows) => rows[0]), Effect.orDie)

/** Polls the job until `predicate` holds (every 10 ms, at most 10 s). */
export const awaitJob = (id: string, predicate: (state: JobState) => boolean) =>
  jobState(id).pipe(
    Effect.repeat({ until: (state) => state !== undefined && predicate(state), schedule: Schedule.spaced("10 millis") }),
    Effect.timeout("10 seconds"),
    Effect.map((state) => state!)
  )

/** Enqueues a `Ping` and returns its id. */
export const enqueuePing = (id: string, options?: Parameters<JobQueue["Service"]["enqueue"]>[1]) =>
  JobQueue.use((queue) => queue.enqueue(new Ping({ id }), options)).pipe(
    Effect.map((option) => option._tag === "Some" ? option.value : undefined)
  )

/** The real email workers on the current test database, delivering through the SMTP server on `port`. */
export const EmailWorker = (port: number) =>
  Layer.unwrap(Effect.map(NotificationsJobs.tasks, (tasks) => JobRunner.layer(tasks))).pipe(
    Layer.provide(Layer.mergeAll(Mailer.layer, SmsSender.layer, NotificationsRepo.layer)),
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({
      SMTP_URL: `smtp://user:pass@127.0.0.1:${port}`,
      WORKER_QUEUES: "email",
      JOB_POLL_INTERVAL_MS: "100"
    })))
  )
