/**
 * Housekeeping tasks run directly on the real Postgres; each is run twice to
 * show that a second run changes nothing.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import { gunzipSync } from "node:zlib"
import {
  BackupDatabase,
  ExpireStaleBookings,
  GenerateDailyReport,
  type Job,
  PurgeExpiredIdempotencyKeys,
  PurgeExpiredTokens,
  PurgeOldRecords,
  ReleaseHeldPayments
} from "../../src/domain/Job.ts"
import { JobQueue } from "../../src/infra/JobQueue.ts"
import type { Task } from "../../src/infra/JobRunner.ts"
import { Transactions } from "../../src/infra/Sql.ts"
import { Backups } from "../../src/maintenance/Backups.ts"
import { previousUtcDay } from "../../src/maintenance/Cron.ts"
import * as MaintenanceJobs from "../../src/maintenance/Jobs.ts"
import { MaintenanceRepo } from "../../src/maintenance/MaintenanceRepo.ts"
import { insertBooking, insertService, insertUser } from "../utils/fixtures.ts"
import { currentDatabaseUrl, TestDatabase } from "../utils/TestDatabase.ts"

const Live = Layer.mergeAll(MaintenanceRepo.layer, JobQueue.layer, Transactions.layer).pipe(Layer.provideMerge(TestDatabase()))

const withBackups = (settings: Record<string, string>) =>
  Effect.provide(Backups.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(settings)))))

/** Runs `job` with the maintenance tasks; `settings` configure the backup location and database. */
const run = (job: Job, settings: Record<string, string> = { DATA_DIR: Os.tmpdir() }) =>
  Effect.flatMap(MaintenanceJobs.tasks, (tasks: ReadonlyArray<Task>) =>
    tasks.find((t) => t.tag === job._tag)!.handle(job, { jobId: "1", attempt: 1, maxAttempts: 5 })).pipe(withBackups(settings))

const tempDir = Effect.acquireRelease(
  Effect.promise(() => Fs.mkdtemp(Path.join(Os.tmpdir(), "mh-backup-"))),
  (dir) => Effect.promise(() => Fs.rm(dir, { recursive: true, force: true }))
)

const decodeLine = Schema.decodeUnknownSync(Schema.fromJsonString(Schema.Struct({ table: Schema.String, row: Schema.Unknown })))

const count = (query: string) =>
  SqlClient.use((sql) => sql.unsafe<{ n: number }>(query)).pipe(Effect.map((rows) => rows[0]!.n), Effect.orDie)

describe("maintenance tasks", () => {
  it.layer(Live, { timeout: "60 seconds", excludeTestServices: true })((it) => {
    it.effect("BackupDatabase: pg_dump to a gzipped SQL file, keeping the newest N", () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const settings = { DATA_DIR: dir, DATABASE_URL: yield* currentDatabaseUrl }
        for (let i = 0; i < 3; i++) yield* run(new BackupDatabase({ keep: 2 }), settings)
        const files = (yield* Effect.promise(() => Fs.readdir(Path.join(dir, "backups")))).sort()
        assert.strictEqual(files.length, 2)
        assert.match(files[0]!, /^maplehustle-.*\.sql\.gz$/)
        const sql = gunzipSync(yield* Effect.promise(() => Fs.readFile(Path.join(dir, "backups", files[1]!)))).toString()
        assert.match(sql, /CREATE TABLE public\.bookings/)
        assert.match(sql, /bookings_no_overlap/)
        assert.notMatch(sql, /PGPASSWORD|password=/)
      }).pipe(Effect.scoped))

    it.effect("BackupDatabase on the embedded database: every table as JSON lines, parents first", () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        yield* insertUser("client")
        yield* run(new BackupDatabase({ keep: 7 }), { DATA_DIR: dir })
        const [file] = yield* Effect.promise(() => Fs.readdir(Path.join(dir, "backups")))
        assert.match(file!, /\.jsonl\.gz$/)
        const lines = gunzipSync(yield* Effect.promise(() => Fs.readFile(Path.join(dir, "backups", file!)))).toString().trim().split("\n")
        const tables = lines.map((l) => decodeLine(l).table)
        assert.include(tables, "users")
        assert.include(tables, "tax_rules")
        assert.isBelow(tables.indexOf("canadian_provinces"), tables.indexOf("tax_rules"))
        assert.isBelow(tables.indexOf("canadian_provinces"), tables.indexOf("users"))
      }).pipe(Effect.scoped))

    it.effect("purges remove only what has expired", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const userId = yield* insertUser("client")
        const token = (expires: string) =>
          sql`INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at, created_at)
              VALUES (${userId}, gen_random_uuid(), gen_random_bytes(32), now() + ${expires}::interval, now() - interval '8 days')`
        yield* token("-1 hour")
        yield* token("1 day")
        yield* sql`INSERT INTO user_tokens (user_id, purpose, token_hash, expires_at, created_at)
                   VALUES (${userId}, 'password_reset', gen_random_bytes(32), now() - interval '1 minute', now() - interval '2 hours'),
                          (${userId}, 'email_verification', gen_random_bytes(32), now() + interval '1 day', now())`
        yield* sql`INSERT INTO idempotency_keys (user_id, scope, key, fingerprint, expires_at)
                   VALUES (${userId}, 'POST /bookings', 'old', '\\x00', now() - interval '1 hour'),
                          (${userId}, 'POST /bookings', 'new', '\\x00', now() + interval '1 hour')`
        yield* sql`INSERT INTO notifications (user_id, type, content, created_at)
                   VALUES (${userId}, 'order_update', 'old', now() - interval '91 days'), (${userId}, 'order_update', 'new', now())`
        yield* sql`INSERT INTO jobs (task, payload, status, finished_at) VALUES
                   ('Ping', '{}', 'dead', now() - interval '8 days'), ('Ping', '{}', 'dead', now() - interval '1 day')`
        yield* sql`INSERT INTO completed_jobs (id, queue, task, payload, priority, run_at, attempts, max_attempts, created_at, finished_at)
                   VALUES (-1, 'default', 'Ping', '{}', 0, now(), 1, 5, now(), now() - interval '8 days'),
                          (-2, 'default', 'Ping', '{}', 0, now(), 1, 5, now(), now() - interval '1 day')`
        for (let i = 0; i < 2; i++) {
          yield* run(new PurgeExpiredTokens())
          yield* run(new PurgeExpiredIdempotencyKeys())
          yield* run(new PurgeOldRecords({ notificationDays: 90, jobDays: 7 }))
        }
        assert.strictEqual(yield* count(`SELECT count(*)::int AS n FROM refresh_tokens`), 1)
        assert.strictEqual(yield* count(`SELECT count(*)::int AS n FROM user_tokens`), 1)
        assert.strictEqual(yield* count(`SELECT count(*)::int AS n FROM idempotency_keys`), 1)
        assert.strictEqual(yield* count(`SELECT count(*)::int AS n FROM notifications WHERE content = 'old'`), 0)
        assert.strictEqual(yield* count(`SELECT count(*)::int AS n FROM notifications WHERE content = 'new'`), 1)
        for (const table of ["jobs", "completed_jobs"]) {
          assert.strictEqual(yield* count(`SELECT count(*)::int AS n FROM ${table} WHERE finished_at < now() - interval '7 days'`), 0)
          assert.isAtLeast(yield* count(`SELECT count(*)::int AS n FROM ${table} WHERE finished_at > now() - interval '2 days'`), 1)
        }
      }))

    it.effect("GenerateDailyReport stores the previous UTC day's aggregates and emails each admin once", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const day = previousUtcDay(new Date())
        const at = `${day}T12:00:00Z`
        const admin = yield* insertUser("admin")
        const clientId = yield* insertUser("client")
        const providerId = yield* insertUser("provider")
        yield* sql`UPDATE users SET created_at = ${at}::timestamptz WHERE id IN (${clientId}, ${providerId})`
        const serviceId = yield* insertService(providerId)
        const paid = yield* insertBooking({ clientId, providerId, serviceId, start: "2031-01-01T10:00:00Z", end: "2031-01-01T11:00:00Z" })
        const open = yield* insertBooking({ clientId, providerId, serviceId, start: "2031-01-02T10:00:00Z", end: "2031-01-02T11:00:00Z", status: "accepted" })
        yield* sql`UPDATE bookings SET created_at = ${at}::timestamptz WHERE id IN (${paid}, ${open})`
        yield* sql`INSERT INTO payments (payer_id, payee_id, booking_id, amount, status, created_at)
                   VALUES (${clientId}, ${providerId}, ${paid}, 50.00, 'held', ${at}::timestamptz)`
        yield* run(new GenerateDailyReport({ date: day }))
        yield* run(new GenerateDailyReport({ date: day }))
        const [report] = yield* sql<{ newUsers: number; newProviders: number; bookingsByStatus: Record<string, number>; grossRevenue: string; platformRevenue: string }>`
          SELECT new_users, new_providers, bookings_by_status, gross_revenue::text AS gross_revenue, platform_revenue::text AS platform_revenue
          FROM daily_reports WHERE report_date = ${day}::date`
        assert.strictEqual(report!.newUsers, 2)
        assert.strictEqual(report!.newProviders, 1)
        assert.deepStrictEqual(report!.bookingsByStatus, { pending: 1, accepted: 1 })
        assert.strictEqual(report!.grossRevenue, "50.00")
        assert.strictEqual(report!.platformRevenue, "5.00")
        const emails = yield* sql<{ key: string }>`SELECT key FROM jobs WHERE task = 'SendEmail' AND key LIKE ${`daily-report:${day}:%`}`
        assert.deepStrictEqual(emails.map((e) => e.key), [`daily-report:${day}:${admin}`])
      }))

    it.effect("ExpireStaleBookings cancels requests older than 48 h, with history and notifications, once", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const clientId = yield* insertUser("client")
        const providerId = yield* insertUser("provider")
        const serviceId = yield* insertService(providerId)
        const stale = yield* insertBooking({ clientId, providerId, serviceId, start: "2032-01-01T10:00:00Z", end: "2032-01-01T11:00:00Z" })
        const fresh = yield* insertBooking({ clientId, providerId, serviceId, start: "2032-01-02T10:00:00Z", end: "2032-01-02T11:00:00Z" })
        yield* sql`UPDATE bookings SET created_at = now() - interval '49 hours' WHERE id = ${stale}`
        yield* run(new ExpireStaleBookings({ afterHours: 48 }))
        yield* run(new ExpireStaleBookings({ afterHours: 48 }))
        const statuses = yield* sql<{ id: string; status: string }>`SELECT id, status FROM bookings WHERE id IN (${stale}, ${fresh})`
        assert.deepStrictEqual(Object.fromEntries(statuses.map((s) => [s.id, s.status])), { [stale]: "canceled", [fresh]: "pending" })
        assert.strictEqual(yield* count(`SELECT count(*)::int AS n FROM booking_history WHERE booking_id = '${stale}' AND actor_role = 'system'`), 1)
        const notified = yield* sql<{ userId: string }>`
          SELECT user_id FROM notifications WHERE type = 'booking_canceled' AND user_id IN (${clientId}, ${providerId}) ORDER BY user_id`
        assert.deepStrictEqual(notified.map((n) => n.userId).sort(), [clientId, providerId].sort())
        assert.strictEqual(
          yield* count(`SELECT count(*)::int AS n FROM jobs WHERE task = 'DeliverNotification' AND payload->>'notificationId' IN (SELECT id::text FROM notifications WHERE user_id = '${clientId}')`),
          1
        )
      }))

    it.effect("ReleaseHeldPayments releases escrow 72 h after completion, once", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const clientId = yield* insertUser("client")
        const providerId = yield* insertUser("provider")
        const serviceId = yield* insertService(providerId)
        const done = yield* insertBooking({ clientId, providerId, serviceId, start: "2020-01-01T10:00:00Z", end: "2020-01-01T11:00:00Z", status: "completed" })
        const recent = yield* insertBooking({ clientId, providerId, serviceId, start: "2020-01-02T10:00:00Z", end: "2020-01-02T11:00:00Z", status: "completed" })
        yield* sql`UPDATE bookings SET completed_at = now() - interval '73 hours' WHERE id = ${done}`
        yield* sql`UPDATE bookings SET completed_at = now() - interval '1 hour' WHERE id = ${recent}`
        yield* sql`INSERT INTO payments (payer_id, payee_id, booking_id, amount, status) VALUES
                   (${clientId}, ${providerId}, ${done}, 50.00, 'held'), (${clientId}, ${providerId}, ${recent}, 50.00, 'held')`
        yield* run(new ReleaseHeldPayments({ afterHours: 72 }))
        yield* run(new ReleaseHeldPayments({ afterHours: 72 }))
        const payments = yield* sql<{ bookingId: string; status: string }>`
          SELECT booking_id, status FROM payments WHERE booking_id IN (${done}, ${recent})`
        assert.deepStrictEqual(Object.fromEntries(payments.map((p) => [p.bookingId, p.status])), { [done]: "released", [recent]: "held" })
        assert.strictEqual(yield* count(`SELECT count(*)::int AS n FROM notifications WHERE type = 'payment_released' AND user_id = '${providerId}'`), 1)
      }))
  })
})
