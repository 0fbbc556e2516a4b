/**
 * The platform's schedule (UTC). Cron only enqueues; the tasks are in `Jobs.ts`.
 */
import { Effect } from "effect"
import {
  BackupDatabase,
  CleanupTempFiles,
  ExpireStaleBookings,
  GenerateDailyReport,
  PurgeExpiredIdempotencyKeys,
  PurgeExpiredTokens,
  PurgeOldRecords,
  ReleaseHeldPayments
} from "../domain/Job.ts"
import type { CronJob } from "../infra/Cron.ts"
import * as Settings from "../infra/Settings.ts"

/** The UTC day before `tick`, as `YYYY-MM-DD`. */
export const previousUtcDay = (tick: Date) => new Date(tick.getTime() - 86_400_000).toISOString().slice(0, 10)

export const schedules = Effect.gen(function*() {
  const jobRetentionDays = yield* Settings.int("JOB_RETENTION_DAYS", { default: 7, min: 1 })
  const backupsKept = yield* Settings.int("BACKUPS_KEPT", { default: 7, min: 1 })
  const cron: ReadonlyArray<CronJob> = [
    { name: "backup-database", schedule: "0 1 * * *", job: () => new BackupDatabase({ keep: backupsKept }) },
    { name: "purge-expired-tokens", schedule: "0 2 * * *", job: () => new PurgeExpiredTokens() },
    { name: "purge-idempotency-keys", schedule: "0 3 * * *", job: () => new PurgeExpiredIdempotencyKeys() },
    { name: "cleanup-temp-files", schedule: "0 4 * * *", job: () => new CleanupTempFiles({ olderThanHours: 24 }) },
    {
      name: "purge-old-records",
      schedule: "0 5 * * *",
      job: () => new PurgeOldRecords({ notificationDays: 90, jobDays: jobRetentionDays })
    },
    { name: "daily-report", schedule: "0 9 * * *", job: (tick) => new GenerateDailyReport({ date: previousUtcDay(tick) }) },
    { name: "expire-stale-bookings", schedule: "0 * * * *", job: () => new ExpireStaleBookings({ afterHours: 48 }) },
    { name: "release-held-payments", schedule: "15 * * * *", job: () => new ReleaseHeldPayments({ afterHours: 72 }) }
  ]
  return cron
})
