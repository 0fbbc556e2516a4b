import { Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { UserId } from "../domain/User.ts"
import { olderThan } from "../infra/Sql.ts"
import type { NewNotification, NotificationId, NotificationView } from "./Api.ts"

export interface PreferencesRow {
  readonly notifyOnNewMessage: boolean
  readonly notifyOnBookingUpdate: boolean
  readonly notifyOnPayment: boolean
  readonly notifyOnReviewReminder: boolean
  readonly notifyByEmail: boolean
  readonly notifyBySms: boolean
}

export interface NotificationRow {
  readonly id: NotificationId
  readonly type: NotificationView["type"]
  readonly content: string
  readonly channel: NotificationView["channel"]
  readonly status: NotificationView["status"]
  readonly createdAt: Date
  readonly createdAtKey: string
}

/** The notification tables as their users and admins read them (delivery has `NotificationsRepo`). */
export class InboxRepo extends Context.Service<InboxRepo>()("maplehustle/notifications/InboxRepo", {
  make: Effect.gen(function*() {
    const sql = yield* SqlClient
    const columns = sql`n.id, n.type, n.content, n.channel, n.status, n.created_at, n.created_at::text AS created_at_key`

    const list = Effect.fn("InboxRepo.list")(function*(filter: {
      readonly userId: UserId
      readonly status?: "unread" | "read" | undefined
      readonly after: Option.Option<readonly [string, string]>
      readonly limit: number
    }) {
      return yield* sql<NotificationRow>`
        SELECT ${columns} FROM notifications n
        WHERE n.user_id = ${filter.userId}
          AND ${filter.status === undefined ? sql`true` : sql`n.status = ${filter.status}`}
          AND ${olderThan(sql, "n", filter.after)}
        ORDER BY n.created_at DESC, n.id DESC LIMIT ${filter.limit + 1}`
    }, Effect.orDie)

    /** False when the user has no such notification. */
    const markRead = Effect.fn("InboxRepo.markRead")(function*(userId: UserId, id: NotificationId) {
      const rows = yield* sql`
        WITH target AS (SELECT id FROM notifications WHERE id = ${id} AND user_id = ${userId}),
        updated AS (UPDATE notifications SET status = 'read', read_at = now() WHERE id IN (SELECT id FROM target) AND status = 'unread')
        SELECT 1 FROM target`
      return rows.length > 0
    }, Effect.orDie)

    const markAllRead = Effect.fn("InboxRepo.markAllRead")(function*(userId: UserId) {
      yield* sql`UPDATE notifications SET status = 'read', read_at = now() WHERE user_id = ${userId} AND status = 'unread'`
    }, Effect.orDie)

    const preferences = Effect.fn("InboxRepo.preferences")(function*(userId: UserId) {
      const rows = yield* sql<PreferencesRow>`
        SELECT COALESCE(p.notify_on_new_message, true) AS notify_on_new_message,
               COALESCE(p.notify_on_booking_update, true) AS notify_on_booking_update,
               COALESCE(p.notify_on_payment, false) AS notify_on_payment,
               COALESCE(p.notify_on_review_reminder, false) AS notify_on_review_reminder,
               COALESCE(p.notify_by_email, true) AS notify_by_email,
               COALESCE(p.notify_by_sms, false) AS notify_by_sms
        FROM (SELECT ${userId}::uuid AS user_id) me LEFT JOIN notification_preferences p ON p.user_id = me.user_id`
      return rows[0]!
    }, Effect.orDie)

    const setPreferences = Effect.fn("InboxRepo.setPreferences")(function*(userId: UserId, preferences: PreferencesRow) {
      const values = { userId, ...preferences }
      yield* sql`
        INSERT INTO notification_preferences ${sql.insert(values)}
        ON CONFLICT (user_id) DO UPDATE SET
          notify_on_new_message = EXCLUDED.notify_on_new_message, notify_on_booking_update = EXCLUDED.notify_on_booking_update,
          notify_on_payment = EXCLUDED.notify_on_payment, notify_on_review_reminder = EXCLUDED.notify_on_review_reminder,
          notify_by_email = EXCLUDED.notify_by_email, notify_by_sms = EXCLUDED.notify_by_sms`
    }, Effect.orDie)

    /** Run in a transaction: the notification for an existing user; `None` when there is none. */
    const create = Effect.fn("InboxRepo.create")(function*(notification: NewNotification) {
      const rows = yield* sql<NotificationRow>`
        WITH created AS (
          INSERT INTO notifications (user_id, type, content, channel)
          SELECT id, ${notification.type}, ${notification.content}, ${notification.channel} FROM users
          WHERE id = ${notification.user_id} AND deleted_at IS NULL
          RETURNING *
        )
        SELECT ${columns} FROM created n`
      return Option.fromNullishOr(rows[0])
    }, Effect.orDie)

    const exists = Effect.fn("InboxRepo.exists")(function*(id: NotificationId) {
      return (yield* sql`SELECT 1 FROM notifications WHERE id = ${id}`).length > 0
    }, Effect.orDie)

    const deliveries = Effect.fn("InboxRepo.deliveries")(function*(id: NotificationId) {
      return yield* sql<{ channel: NotificationView["channel"]; status: "sent" | "failed"; attempt: number; error: string | null; createdAt: Date }>`
        SELECT channel, status, attempt, error, created_at FROM notification_deliveries
        WHERE notification_id = ${id} ORDER BY created_at, id`
    }, Effect.orDie)

    return { list, markRead, markAllRead, preferences, setPreferences, create, exists, deliveries }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}
