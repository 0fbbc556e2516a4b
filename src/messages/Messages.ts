/**
 * Messages between users, optionally about a booking (then only between its
 * participants). Sending stores the message and the receiver's notification
 * in one statement and its delivery job in the same transaction; delivery
 * honours the receiver's preferences (`notify_on_new_message`, email, SMS).
 */
import { Context, Effect, Layer, Option } from "effect"
import type { BookingId } from "../bookings/Api.ts"
import { BadRequest, Forbidden, NotFound } from "../domain/Errors.ts"
import { DeliverNotification } from "../domain/Job.ts"
import { keysetPage } from "../domain/Page.ts"
import type { UserId } from "../domain/User.ts"
import { JobQueue } from "../infra/JobQueue.ts"
import { Transactions } from "../infra/Sql.ts"
import type { Caller } from "../users/Authentication.ts"
import { publicUserView } from "../users/Users.ts"
import type { MessageId, MessageView, NewMessage } from "./Api.ts"
import { type MessageRow, MessagesRepo } from "./MessagesRepo.ts"

export const messageView = (row: MessageRow): MessageView => ({
  id: row.id,
  sender_id: row.senderId,
  receiver_id: row.receiverId,
  booking_id: row.bookingId,
  content: row.content,
  read_at: row.readAt === null ? null : row.readAt.toISOString(),
  created_at: row.createdAt.toISOString()
})

type PageQuery = { readonly limit?: number | undefined; readonly cursor?: string | undefined }

export class Messages extends Context.Service<Messages>()("maplehustle/messages/Messages", {
  make: Effect.gen(function*() {
    const repo = yield* MessagesRepo
    const tx = yield* Transactions
    const jobs = yield* JobQueue

    const send = Effect.fn("Messages.send")(function*(caller: Caller, message: NewMessage) {
      if (message.receiver_id === caller.id) return yield* new BadRequest({ message: "receiver_id: you cannot message yourself" })
      if (!(yield* repo.activeUser(message.receiver_id))) return yield* new NotFound({ message: `No user ${message.receiver_id}` })
      if (message.booking_id !== undefined) {
        const parties = yield* repo.bookingParties(message.booking_id)
        const participants: ReadonlyArray<UserId> = Option.match(parties, { onNone: () => [], onSome: (p) => [p.clientId, p.providerId] })
        if (!participants.includes(caller.id)) return yield* new NotFound({ message: `No booking ${message.booking_id}` })
        if (!participants.includes(message.receiver_id)) {
          return yield* new Forbidden({ message: "Messages about a booking go between its participants" })
        }
      }
      const row = yield* tx.withTransaction(Effect.gen(function*() {
        const row = yield* repo.insert({
          senderId: caller.id,
          receiverId: message.receiver_id,
          bookingId: message.booking_id ?? null,
          content: message.content
        })
        yield* jobs.enqueue(new DeliverNotification({ notificationId: row.notificationId }))
        return row
      }))
      return messageView(row)
    })

    const conversations = Effect.fn("Messages.conversations")(function*(caller: Caller) {
      return (yield* repo.conversations(caller.id)).map((row) => ({
        user: publicUserView({
          id: row.otherId,
          name: row.otherName,
          role: row.otherRole,
          city: row.otherCity,
          provinceCode: row.otherProvinceCode,
          ratingSum: row.otherRatingSum,
          ratingCount: row.otherRatingCount
        }),
        last_message: messageView(row),
        unread_count: row.unreadCount
      }))
    })

    const page = (query: PageQuery, filter: { readonly between?: readonly [UserId, UserId]; readonly bookingId?: BookingId }) =>
      keysetPage(query, (after, limit) => repo.thread({ ...filter, after, limit }), messageView, (row) => [row.createdAtKey, row.id])

    const direct = Effect.fn("Messages.direct")(function*(caller: Caller, userId: UserId, query: PageQuery) {
      return yield* page(query, { between: [caller.id, userId] })
    })

    const aboutBooking = Effect.fn("Messages.aboutBooking")(function*(caller: Caller, bookingId: BookingId, query: PageQuery) {
      const parties = yield* repo.bookingParties(bookingId)
      const visible = Option.exists(parties, (p) => p.clientId === caller.id || p.providerId === caller.id || caller.role === "admin")
      if (!visible) return yield* new NotFound({ message: `No booking ${bookingId}` })
      return yield* page(query, { bookingId })
    })

    const read = Effect.fn("Messages.read")(function*(caller: Caller, id: MessageId) {
      const parties = yield* repo.findParties(id)
      if (Option.isNone(parties) || (parties.value.senderId !== caller.id && parties.value.receiverId !== caller.id)) {
        return yield* new NotFound({ message: `No message ${id}` })
      }
      if (parties.value.receiverId !== caller.id) return yield* new Forbidden({ message: "Only the receiver marks a message read" })
      yield* repo.markRead(id)
    })

    return { send, conversations, direct, aboutBooking, read }
  })
}) {
  static readonly layerNoDeps = Layer.effect(this, this.make)
  static readonly layer = this.layerNoDeps.pipe(Layer.provide([MessagesRepo.layer, Transactions.layer]))
}
