import { Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql/SqlClient"

export type Channel = "in_app" | "email" | "sms"

export interface DeliveryTarget {
  readonly id: string
  readonly type: string
  readonly content: string
  readonly channel: Channel
  readonly userName: string
  readonly email: string
  readonly phoneNumber: string | null
  readonly active: boolean
  readonly notifyOnNewMessage: boolean
  readonly notifyOnBookingUpdate: boolean
  readonly notifyOnPayment: boolean
  readonly notifyOnReviewReminder: boolean
  readonly notifyByEmail: boolean
  readonly notifyBySms: boolean
}

/** The notification tables, as the delivery job needs them. */
export class NotificationsRepo extends Context.Service<NotificationsRepo>()("maplehustle/notifications/NotificationsRepo", {
  make: Effect.gen(function*() {
    const sql = yield* SqlClient

    /** The notification with its user's contact details and preferences (API.md defaults when unset). */
    const findDeliveryTarget = Effect.fn("NotificationsRepo.findDeliveryTarget")(function*(id: string) {
      const rows = yield* sql<DeliveryTarget>`
        SELECT n.id, n.type, n.content, n.channel, u.name AS user_name, u.email::text AS email, u.phone_number,
               (u.status = 'active' AND u.deleted_at IS NULL) AS active,
               COALESCE(p.notify_on_new_message, true) AS notify_on_new_message,
               COALESCE(p.notify_on_booking_update, true) AS notify_on_booking_update,
               COALESCE(p.notify_on_payment, false) AS notify_on_payment,
               COALESCE(p.notify_on_review_reminder, false) AS notify_on_review_reminder,
               COALESCE(p.notify_by_email, true) AS notify_by_email,
               COALESCE(p.notify_by_sms, false) AS notify_by_sms
        FROM notifications n
        JOIN users u ON u.id = n.user_id
        LEFT JOIN notification_preferences p ON p.user_id = n.user_id
        WHERE n.id = ${id}`
      return Option.fromNullishOr(rows[0])
    }, Effect.orDie)

    const sentChannels = Effect.fn("NotificationsRepo.sentChannels")(function*(id: string) {
      const rows = yield* sql<{ channel: Channel }>`
        SELECT channel FROM notification_deliveries WHERE notification_id = ${id} AND status = 'sent'`
      return new Set(rows.map((r) => r.channel))
    }, Effect.orDie)

    /** One attempt on one channel; a second `sent` for the same channel is ignored. */
    const recordDelivery = Effect.fn("NotificationsRepo.recordDelivery")(function*(delivery: {
      readonly notificationId: string
      readonly channel: Channel
      readonly attempt: number
      readonly error: string | null
    }) {
      yield* sql`
        INSERT INTO notification_deliveries (notification_id, channel, status, attempt, error)
        VALUES (${delivery.notificationId}, ${delivery.channel}::notification_channel,
                ${delivery.error === null ? "sent" : "failed"}::delivery_status, ${delivery.attempt}, ${delivery.error})
        ON CONFLICT (notification_id, channel) WHERE status = 'sent' DO NOTHING`
    }, Effect.orDie)

    return { findDeliveryTarget, sentChannels, recordDelivery }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}
