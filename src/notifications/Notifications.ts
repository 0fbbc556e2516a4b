/**
 * A user's notifications and preferences, and the admin tools around them:
 * sending one (delivered by the `DeliverNotification` job committed with it)
 * and reading its delivery log.
 */
import { Context, Effect, Layer, Option } from "effect"
import { Forbidden, NotFound } from "../domain/Errors.ts"
import { DeliverNotification } from "../domain/Job.ts"
import { keysetPage } from "../domain/Page.ts"
import { JobQueue } from "../infra/JobQueue.ts"
import { Transactions } from "../infra/Sql.ts"
import type { Caller } from "../users/Authentication.ts"
import type { NewNotification, NotificationId, NotificationView, Preferences } from "./Api.ts"
import { InboxRepo, type NotificationRow, type PreferencesRow } from "./InboxRepo.ts"

const notificationView = (row: NotificationRow): NotificationView => ({
  id: row.id,
  type: row.type,
  content: row.content,
  channel: row.channel,
  status: row.status,
  created_at: row.createdAt.toISOString()
})

const preferencesView = (row: PreferencesRow): Preferences => ({
  notify_on_new_message: row.notifyOnNewMessage,
  notify_on_booking_update: row.notifyOnBookingUpdate,
  notify_on_payment: row.notifyOnPayment,
  notify_on_review_reminder: row.notifyOnReviewReminder,
  notify_by_email: row.notifyByEmail,
  notify_by_sms: row.notifyBySms
})

export class Notifications extends Context.Service<Notifications>()("maplehustle/notifications/Notifications", {
  make: Effect.gen(function*() {
    const repo = yield* InboxRepo
    const tx = yield* Transactions
    const jobs = yield* JobQueue
    const adminOnly = (caller: Caller) =>
      caller.role === "admin" ? Effect.void : Effect.fail(new Forbidden({ message: "Admins only" }))

    const list = Effect.fn("Notifications.list")(function*(caller: Caller, query: {
      readonly status?: "unread" | "read" | undefined
      readonly limit?: number | undefined
      readonly cursor?: string | undefined
    }) {
      return yield* keysetPage(
        query,
        (after, limit) => repo.list({ userId: caller.id, status: query.status, after, limit }),
        notificationView,
        (row) => [row.createdAtKey, row.id]
      )
    })

    const read = Effect.fn("Notifications.read")(function*(caller: Caller, id: NotificationId) {
      if (!(yield* repo.markRead(caller.id, id))) return yield* new NotFound({ message: `No notification ${id}` })
    })

    const readAll = Effect.fn("Notifications.readAll")(function*(caller: Caller) {
      yield* repo.markAllRead(caller.id)
    })

    const preferences = Effect.fn("Notifications.preferences")(function*(caller: Caller) {
      return preferencesView(yield* repo.preferences(caller.id))
    })

    const setPreferences = Effect.fn("Notifications.setPreferences")(function*(caller: Caller, preferences: Preferences) {
      yield* repo.setPreferences(caller.id, {
        notifyOnNewMessage: preferences.notify_on_new_message,
        notifyOnBookingUpdate: preferences.notify_on_booking_update,
        notifyOnPayment: preferences.notify_on_payment,
        notifyOnReviewReminder: preferences.notify_on_review_reminder,
        notifyByEmail: preferences.notify_by_email,
        notifyBySms: preferences.notify_by_sms
      })
      return preferences
    })

    const create = Effect.fn("Notifications.create")(function*(caller: Caller, notification: NewNotification) {
      yield* adminOnly(caller)
      const row = yield* tx.withTransaction(Effect.gen(function*() {
        const row = yield* repo.create(notification)
        if (Option.isSome(row)) yield* jobs.enqueue(new DeliverNotification({ notificationId: row.value.id }))
        return row
      }))
      if (Option.isNone(row)) return yield* new NotFound({ message: `No user ${notification.user_id}` })
      return notificationView(row.value)
    })

    const deliveries = Effect.fn("Notifications.deliveries")(function*(caller: Caller, id: NotificationId) {
      yield* adminOnly(caller)
      if (!(yield* repo.exists(id))) return yield* new NotFound({ message: `No notification ${id}` })
      return (yield* repo.deliveries(id)).map((d) => ({
        channel: d.channel,
        status: d.status,
        attempt: d.attempt,
        error: d.error,
        created_at: d.createdAt.toISOString()
      }))
    })

    return { list, read, readAll, preferences, setPreferences, create, deliveries }
  })
}) {
  static readonly layerNoDeps = Layer.effect(this, this.make)
  static readonly layer = this.layerNoDeps.pipe(Layer.provide([InboxRepo.layer, Transactions.layer]))
}
