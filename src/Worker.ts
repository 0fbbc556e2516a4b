/**
 * The background side of the service: every task, the cron schedule, and the
 * worker runtime, started when `WORKERS_ENABLED` (default true). `npm run
 * worker` runs only this; `npm run api` only the HTTP side.
 */
import { Effect, Layer } from "effect"
import * as BookingsJobs from "./bookings/Jobs.ts"
import { BookingsRepo } from "./bookings/BookingsRepo.ts"
import { defaultQueue, type JobTag, Ping } from "./domain/Job.ts"
import * as FilesJobs from "./files/Jobs.ts"
import { FilesRepo } from "./files/FilesRepo.ts"
import * as Cron from "./infra/Cron.ts"
import * as JobRunner from "./infra/JobRunner.ts"
import { Mailer } from "./infra/Mailer.ts"
import * as Settings from "./infra/Settings.ts"
import { SmsSender } from "./infra/SmsSender.ts"
import { Transactions } from "./infra/Sql.ts"
import { Backups } from "./maintenance/Backups.ts"
import * as MaintenanceCron from "./maintenance/Cron.ts"
import * as MaintenanceJobs from "./maintenance/Jobs.ts"
import { MaintenanceRepo } from "./maintenance/MaintenanceRepo.ts"
import * as NotificationsJobs from "./notifications/Jobs.ts"
import { Notifier } from "./notifications/Notifier.ts"
import { NotificationsRepo } from "./notifications/NotificationsRepo.ts"

const ping = JobRunner.task(Ping, () => Effect.void)

/** Every task; start-up fails if a job type has no handler. */
const allTasks = Effect.gen(function*() {
  const tasks = [
    ping,
    ...(yield* NotificationsJobs.tasks),
    ...(yield* BookingsJobs.tasks),
    ...(yield* FilesJobs.tasks),
    ...(yield* MaintenanceJobs.tasks)
  ]
  const handled = new Set<string>(tasks.map((t) => t.tag))
  const missing = (Object.keys(defaultQueue) as Array<JobTag>).filter((tag) => !handled.has(tag))
  if (missing.length > 0) return yield* Effect.die(new Error(`no task handles ${missing.join(", ")}`))
  return tasks
})

const TaskDependenciesLive = Layer.mergeAll(
  Mailer.layer,
  SmsSender.layer,
  NotificationsRepo.layer,
  FilesRepo.layer,
  BookingsRepo.layer,
  Notifier.layer,
  Backups.layer.pipe(Layer.provideMerge(MaintenanceRepo.layer)),
  Transactions.layer
)

const WorkersLive = Layer.unwrap(Effect.gen(function*() {
  return Layer.mergeAll(
    JobRunner.layer(yield* allTasks),
    Cron.layer(yield* MaintenanceCron.schedules)
  )
})).pipe(Layer.provide(TaskDependenciesLive))

/** Only a process that runs workers builds what the tasks need (mail and SMS settings are read there alone). */
export const WorkerLive = Layer.unwrap(
  Effect.map(Settings.flag("WORKERS_ENABLED", true), (enabled) => enabled ? WorkersLive : Layer.empty)
)
