/**
 * Housekeeping tasks run by cron on the `cleanup` queue. Each is safe to run
 * twice: purges and transitions are conditional, reports are upserted, and
 * the emails they send are keyed.
 */
import { Effect } from "effect"
import {
  BackupDatabase,
  DeliverNotification,
  ExpireStaleBookings,
  GenerateDailyReport,
  PurgeExpiredIdempotencyKeys,
  PurgeExpiredTokens,
  PurgeOldRecords,
  ReleaseHeldPayments,
  SendEmail
} from "../domain/Job.ts"
import { JobQueue } from "../infra/JobQueue.ts"
import * as JobRunner from "../infra/JobRunner.ts"
import { Transactions } from "../infra/Sql.ts"
import { Backups } from "./Backups.ts"
import { MaintenanceRepo } from "./MaintenanceRepo.ts"

export const tasks = Effect.gen(function*() {
  const repo = yield* MaintenanceRepo
  const backups = yield* Backups
  const queue = yield* JobQueue
  const tx = yield* Transactions

  const logCount = (what: string) => (n: number) => n > 0 ? Effect.logInfo(`${what}: ${n}`) : Effect.void

  /** Notifications created by a statement are delivered by jobs committed with it. */
  const deliverAll = (ids: ReadonlyArray<string>) =>
    queue.enqueueMany(ids.map((notificationId) => ({ job: new DeliverNotification({ notificationId }) })))

  return [
    JobRunner.task(BackupDatabase, (job) =>
      backups.backup(job.keep).pipe(Effect.tap((file) => Effect.logInfo(`backup written: ${file}`))), { timeout: "30 minutes" }),

    JobRunner.task(PurgeExpiredTokens, () =>
      repo.purgeExpiredTokens().pipe(Effect.flatMap(logCount("expired tokens purged")))),

    JobRunner.task(PurgeExpiredIdempotencyKeys, () =>
      repo.purgeExpiredIdempotencyKeys().pipe(Effect.flatMap(logCount("expired idempotency keys purged")))),

    JobRunner.task(PurgeOldRecords, (job) =>
      Effect.gen(function*() {
        yield* logCount("old notifications purged")(yield* repo.purgeOldNotifications(job.notificationDays))
        yield* logCount("finished jobs purged")(yield* repo.purgeFinishedJobs(job.jobDays))
      })),

    JobRunner.task(GenerateDailyReport, (job) =>
      tx.withTransaction(Effect.gen(function*() {
        const report = yield* repo.upsertDailyReport(job.date)
        const bookings = Object.values(report.bookingsByStatus).reduce((a, b) => a + b, 0)
        const admins = yield* repo.activeAdmins()
        yield* Effect.forEach(admins, (admin) =>
          queue.enqueue(
            new SendEmail({
              to: admin.email,
              template: "daily_report",
              variables: {
                date: report.reportDate,
                new_users: String(report.newUsers),
                new_providers: String(report.newProviders),
                bookings: `${bookings} (${Object.entries(report.bookingsByStatus).map(([s, n]) => `${s}: ${n}`).join(", ") || "none"})`,
                orders: String(report.orders),
                gross_revenue: report.grossRevenue,
                platform_revenue: report.platformRevenue
              }
            }),
            { key: `daily-report:${report.reportDate}:${admin.id}` }
          ), { discard: true })
      }))),

    JobRunner.task(ExpireStaleBookings, (job) =>
      tx.withTransaction(Effect.gen(function*() {
        const notifications = yield* repo.expireStaleBookings(job.afterHours)
        yield* deliverAll(notifications)
        yield* logCount("stale booking notifications")(notifications.length)
      }))),

    JobRunner.task(ReleaseHeldPayments, (job) =>
      tx.withTransaction(Effect.gen(function*() {
        const notifications = yield* repo.releaseHeldPayments(job.afterHours)
        yield* deliverAll(notifications)
        yield* logCount("payments released")(notifications.length)
      })))
  ]
})
