/**
 * SQL of the housekeeping tasks. Deletes run in batches of `BATCH` rows so a
 * large purge never holds long locks or one huge transaction; every statement
 * is idempotent, so a task that runs twice does nothing the second time.
 */
import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"

const BATCH = 5000

export interface DailyReport {
  readonly reportDate: string
  readonly newUsers: number
  readonly newProviders: number
  readonly bookingsByStatus: Readonly<Record<string, number>>
  readonly orders: number
  readonly grossRevenue: string
  readonly platformRevenue: string
}

export class MaintenanceRepo extends Context.Service<MaintenanceRepo>()("maplehustle/maintenance/MaintenanceRepo", {
  make: Effect.gen(function*() {
    const sql = yield* SqlClient

    /** Repeats a batched DELETE until it deletes nothing; returns the total. */
    const drain = (statement: Effect.Effect<ReadonlyArray<unknown>, unknown>) =>
      Effect.gen(function*() {
        let total = 0
        while (true) {
          const deleted = (yield* statement).length
          total += deleted
          if (deleted < BATCH) return total
        }
      })

    const purgeExpiredTokens = Effect.fn("MaintenanceRepo.purgeExpiredTokens")(function*() {
      const refresh = yield* drain(sql`
        DELETE FROM refresh_tokens WHERE id IN (SELECT id FROM refresh_tokens WHERE expires_at < now() LIMIT ${BATCH})
        RETURNING 1`)
      const oneTime = yield* drain(sql`
        DELETE FROM user_tokens WHERE id IN (
          SELECT id FROM user_tokens WHERE expires_at < now() OR used_at < now() - interval '1 day' LIMIT ${BATCH})
        RETURNING 1`)
      return refresh + oneTime
    }, Effect.orDie)

    const purgeExpiredIdempotencyKeys = Effect.fn("MaintenanceRepo.purgeExpiredIdempotencyKeys")(function*() {
      return yield* drain(sql`
        DELETE FROM idempotency_keys WHERE ctid IN (
          SELECT ctid FROM idempotency_keys WHERE expires_at < now() LIMIT ${BATCH})
        RETURNING 1`)
    }, Effect.orDie)

    /** Deletes rows of `table` whose `column` is more than `days` old. */
    const purgeOlderThan = (table: "notifications" | "jobs" | "completed_jobs", column: "created_at" | "finished_at", days: number) =>
      drain(sql`
        DELETE FROM ${sql(table)} WHERE id IN (
          SELECT id FROM ${sql(table)} WHERE ${sql(column)} < now() - ${days} * interval '1 day' LIMIT ${BATCH})
        RETURNING 1`)

    const purgeOldNotifications = Effect.fn("MaintenanceRepo.purgeOldNotifications")(
      (days: number) => purgeOlderThan("notifications", "created_at", days),
      Effect.orDie
    )

    /** Succeeded jobs (`completed_jobs`) and dead or canceled ones past retention. */
    const purgeFinishedJobs = Effect.fn("MaintenanceRepo.purgeFinishedJobs")(function*(days: number) {
      const completed = yield* purgeOlderThan("completed_jobs", "finished_at", days)
      return completed + (yield* purgeOlderThan("jobs", "finished_at", days))
    }, Effect.orDie)

    /** Computes and stores the report of one UTC day; a rerun replaces it with the same figures. */
    const upsertDailyReport = Effect.fn("MaintenanceRepo.upsertDailyReport")(function*(date: string) {
      const rows = yield* sql<DailyReport>`
        WITH day AS (SELECT ${date}::date::timestamp AT TIME ZONE 'UTC' AS start,
                            (${date}::date + 1)::timestamp AT TIME ZONE 'UTC' AS finish)
        INSERT INTO daily_reports (report_date, new_users, new_providers, bookings_by_status, orders, gross_revenue, platform_revenue)
        SELECT ${date}::date,
          (SELECT count(*)::int FROM users, day WHERE created_at >= day.start AND created_at < day.finish),
          (SELECT count(*)::int FROM users, day WHERE role = 'provider' AND created_at >= day.start AND created_at < day.finish),
          (SELECT COALESCE(jsonb_object_agg(status, n), '{}'::jsonb) FROM (
             SELECT status, count(*)::int AS n FROM bookings, day
             WHERE created_at >= day.start AND created_at < day.finish GROUP BY status) s),
          (SELECT count(*)::int FROM orders, day WHERE created_at >= day.start AND created_at < day.finish),
          (SELECT COALESCE(sum(amount - refunded_amount), 0) FROM payments, day
             WHERE status <> 'failed' AND created_at >= day.start AND created_at < day.finish),
          (SELECT COALESCE(sum(COALESCE(b.platform_fee, o.platform_fee)), 0)
             FROM payments p LEFT JOIN bookings b ON b.id = p.booking_id LEFT JOIN orders o ON o.id = p.order_id, day
             WHERE p.status NOT IN ('failed', 'refunded') AND p.created_at >= day.start AND p.created_at < day.finish)
        ON CONFLICT (report_date) DO UPDATE SET
          new_users = EXCLUDED.new_users, new_providers = EXCLUDED.new_providers,
          bookings_by_status = EXCLUDED.bookings_by_status, orders = EXCLUDED.orders,
          gross_revenue = EXCLUDED.gross_revenue, platform_revenue = EXCLUDED.platform_revenue, created_at = now()
        RETURNING to_char(report_date, 'YYYY-MM-DD') AS report_date, new_users, new_providers, bookings_by_status,
                  orders, gross_revenue::text AS gross_revenue, platform_revenue::text AS platform_revenue`
      return rows[0]!
    }, Effect.orDie)

    const activeAdmins = Effect.fn("MaintenanceRepo.activeAdmins")(function*() {
      return yield* sql<{ id: string; email: string; name: string }>`
        SELECT id, email::text AS email, name FROM users
        WHERE role = 'admin' AND status = 'active' AND deleted_at IS NULL ORDER BY created_at`
    }, Effect.orDie)

    /**
     * Cancels pending bookings not accepted within `hours`, with a history row
     * and a `booking_canceled` notification for each party; returns the notification ids.
     */
    const expireStaleBookings = Effect.fn("MaintenanceRepo.expireStaleBookings")(function*(hours: number) {
      const rows = yield* sql<{ notificationId: string }>`
        WITH expired AS (
          UPDATE bookings SET status = 'canceled', canceled_at = now(),
            cancellation_reason = 'Expired: not accepted within ' || ${hours} || ' hours'
          WHERE status = 'pending' AND created_at < now() - ${hours} * interval '1 hour'
          RETURNING id, client_id, provider_id
        ), history AS (
          INSERT INTO booking_history (booking_id, actor_role, from_status, to_status)
          SELECT id, 'system', 'pending', 'canceled' FROM expired
        )
        INSERT INTO notifications (user_id, type, content)
        SELECT party, 'booking_canceled', 'A booking request expired because it was not accepted within ' || ${hours} || ' hours.'
        FROM expired, LATERAL (VALUES (expired.client_id), (expired.provider_id)) AS parties(party)
        RETURNING id AS notification_id`
      return rows.map((r) => r.notificationId)
    }, Effect.orDie)

    /**
     * Releases held payments `hours` after their booking completed or order was
     * delivered, notifying each payee; returns the notification ids.
     */
    const releaseHeldPayments = Effect.fn("MaintenanceRepo.releaseHeldPayments")(function*(hours: number) {
      const rows = yield* sql<{ notificationId: string }>`
        WITH released AS (
          UPDATE payments p SET status = 'released', released_at = now()
          WHERE p.status = 'held' AND (
            EXISTS (SELECT 1 FROM bookings b WHERE b.id = p.booking_id AND b.status = 'completed'
                    AND b.completed_at < now() - ${hours} * interval '1 hour')
            OR EXISTS (SELECT 1 FROM orders o WHERE o.id = p.order_id AND o.status = 'delivered'
                    AND o.delivered_at < now() - ${hours} * interval '1 hour'))
          RETURNING p.payee_id, p.amount
        )
        INSERT INTO notifications (user_id, type, content)
        SELECT payee_id, 'payment_released', 'A payment of ' || amount::text || ' CAD was released to you.'
        FROM released WHERE payee_id IS NOT NULL
        RETURNING id AS notification_id`
      return rows.map((r) => r.notificationId)
    }, Effect.orDie)

    /** The application's tables, parents before children (for a logical export that restores in order). */
    const tables = Effect.fn("MaintenanceRepo.tables")(function*() {
      const names = yield* sql<{ name: string }>`
        SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY c.relname`
      const edges = yield* sql<{ child: string; parent: string }>`
        SELECT DISTINCT child.relname AS child, parent.relname AS parent
        FROM pg_constraint k
        JOIN pg_class child ON child.oid = k.conrelid JOIN pg_class parent ON parent.oid = k.confrelid
        JOIN pg_namespace n ON n.oid = child.relnamespace
        WHERE k.contype = 'f' AND n.nspname = 'public' AND k.conrelid <> k.confrelid`
      // Kahn's algorithm; a cycle (none today) would leave its tables for the end, in name order.
      const parents = new Map(names.map((t) => [t.name, new Set(edges.filter((e) => e.child === t.name).map((e) => e.parent))]))
      const ordered: Array<string> = []
      while (parents.size > 0) {
        const ready = [...parents].filter(([, ps]) => [...ps].every((p) => !parents.has(p))).map(([name]) => name)
        const next = ready.length > 0 ? ready : [...parents.keys()]
        for (const name of next) {
          ordered.push(name)
          parents.delete(name)
        }
      }
      return ordered
    }, Effect.orDie)

    /** Every row of `table` as a JSON text, for the embedded database's logical backup. */
    const exportTable = Effect.fn("MaintenanceRepo.exportTable")(function*(table: string) {
      const rows = yield* sql<{ line: string }>`SELECT row_to_json(t)::text AS line FROM ${sql(table)} t`
      return rows.map((r) => r.line)
    }, Effect.orDie)

    return {
      tables,
      exportTable,
      purgeExpiredTokens,
      purgeExpiredIdempotencyKeys,
      purgeOldNotifications,
      purgeFinishedJobs,
      upsertDailyReport,
      activeAdmins,
      expireStaleBookings,
      releaseHeldPayments
    }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}
