import { Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { BookingId } from "../bookings/Api.ts"
import type { Role, UserId } from "../domain/User.ts"
import * as Resolvers from "../infra/Resolvers.ts"
import { olderThan } from "../infra/Sql.ts"
import type { MessageId } from "./Api.ts"

/** How many of a user's latest messages a composite read (the user overview) carries. */
export const RECENT_MESSAGES = 20

export interface MessageRow {
  readonly id: MessageId
  readonly senderId: UserId
  readonly receiverId: UserId
  readonly bookingId: BookingId | null
  readonly content: string
  readonly readAt: Date | null
  readonly createdAt: Date
  readonly createdAtKey: string
}

export interface ConversationRow extends MessageRow {
  readonly otherId: UserId
  readonly otherName: string
  readonly otherRole: Role
  readonly otherCity: string | null
  readonly otherProvinceCode: string | null
  readonly otherRatingSum: number
  readonly otherRatingCount: number
  readonly unreadCount: number
}

export class MessagesRepo extends Context.Service<MessagesRepo>()("maplehustle/messages/MessagesRepo", {
  make: Effect.gen(function*() {
    const sql = yield* SqlClient
    const columns = sql`m.id, m.sender_id, m.receiver_id, m.booking_id, m.content, m.read_at, m.created_at,
      m.created_at::text AS created_at_key`

    const activeUser = Effect.fn("MessagesRepo.activeUser")(function*(id: UserId) {
      const rows = yield* sql`SELECT 1 FROM users WHERE id = ${id} AND status = 'active' AND deleted_at IS NULL`
      return rows.length > 0
    }, Effect.orDie)

    const bookingParties = Effect.fn("MessagesRepo.bookingParties")(function*(id: BookingId) {
      const rows = yield* sql<{ clientId: UserId; providerId: UserId }>`SELECT client_id, provider_id FROM bookings WHERE id = ${id}`
      return Option.fromNullishOr(rows[0])
    }, Effect.orDie)

    /** Run in a transaction: the message and the receiver's notification. */
    const insert = Effect.fn("MessagesRepo.insert")(function*(message: {
      readonly senderId: UserId
      readonly receiverId: UserId
      readonly bookingId: BookingId | null
      readonly content: string
    }) {
      const rows = yield* sql<MessageRow & { notificationId: string }>`
        WITH sent AS (
          INSERT INTO messages (sender_id, receiver_id, booking_id, content)
          VALUES (${message.senderId}, ${message.receiverId}, ${message.bookingId}, ${message.content})
          RETURNING *
        ), notified AS (
          INSERT INTO notifications (user_id, type, content)
          SELECT s.receiver_id, 'message_received', 'New message from ' || u.name || ': ' || left(s.content, 200)
          FROM sent s JOIN users u ON u.id = s.sender_id
          RETURNING id
        )
        SELECT ${columns}, (SELECT id FROM notified) AS notification_id FROM sent m`
      return rows[0]!
    }, Effect.orDie)

    /** The caller's conversations in one statement: each other person, the latest message, the caller's unread count. */
    const conversations = Effect.fn("MessagesRepo.conversations")(function*(userId: UserId) {
      return yield* sql<ConversationRow>`
        WITH mine AS (
          SELECT m.*, CASE WHEN m.sender_id = ${userId} THEN m.receiver_id ELSE m.sender_id END AS other_id
          FROM messages m WHERE m.sender_id = ${userId} OR m.receiver_id = ${userId}
        ), latest AS (
          SELECT DISTINCT ON (other_id) * FROM mine ORDER BY other_id, created_at DESC, id DESC
        )
        SELECT ${columns}, m.other_id, u.name AS other_name, u.role AS other_role, u.city AS other_city,
               u.province_code AS other_province_code, u.rating_sum AS other_rating_sum, u.rating_count AS other_rating_count,
               (SELECT count(*)::int FROM messages x WHERE x.receiver_id = ${userId} AND x.sender_id = m.other_id
                  AND x.read_at IS NULL) AS unread_count
        FROM latest m JOIN users u ON u.id = m.other_id
        ORDER BY m.created_at DESC, m.id DESC`
    }, Effect.orDie)

    /** The latest `RECENT_MESSAGES` messages each user sent or received, newest first. */
    const recentOf = Resolvers.byParent<UserId, MessageRow & { readonly participantId: UserId }>("MessagesRepo.recentOf", {
      parent: (row) => row.participantId,
      execute: (ids) => sql<MessageRow & { readonly participantId: UserId }>`
        SELECT p.participant_id, ${columns}
        FROM unnest(${ids}::uuid[]) AS p(participant_id)
        CROSS JOIN LATERAL (
          SELECT * FROM messages x WHERE x.sender_id = p.participant_id OR x.receiver_id = p.participant_id
          ORDER BY x.created_at DESC, x.id DESC LIMIT ${RECENT_MESSAGES}
        ) m
        ORDER BY p.participant_id, m.created_at DESC, m.id DESC`
    })

    const thread = Effect.fn("MessagesRepo.thread")(function*(filter: {
      readonly between?: readonly [UserId, UserId] | undefined
      readonly bookingId?: BookingId | undefined
      readonly after: Option.Option<readonly [string, string]>
      readonly limit: number
    }) {
      const [a, b] = filter.between ?? []
      return yield* sql<MessageRow>`
        SELECT ${columns} FROM messages m
        WHERE ${filter.between === undefined ? sql`true` : sql`LEAST(m.sender_id, m.receiver_id) = LEAST(${a}::uuid, ${b}::uuid)
                AND GREATEST(m.sender_id, m.receiver_id) = GREATEST(${a}::uuid, ${b}::uuid)`}
          AND ${filter.bookingId === undefined ? sql`true` : sql`m.booking_id = ${filter.bookingId}`}
          AND ${olderThan(sql, "m", filter.after)}
        ORDER BY m.created_at DESC, m.id DESC LIMIT ${filter.limit + 1}`
    }, Effect.orDie)

    const findParties = Effect.fn("MessagesRepo.findParties")(function*(id: MessageId) {
      const rows = yield* sql<{ senderId: UserId; receiverId: UserId }>`SELECT sender_id, receiver_id FROM messages WHERE id = ${id}`
      return Option.fromNullishOr(rows[0])
    }, Effect.orDie)

    const markRead = Effect.fn("MessagesRepo.markRead")(function*(id: MessageId) {
      yield* sql`UPDATE messages SET read_at = now() WHERE id = ${id} AND read_at IS NULL`
    }, Effect.orDie)

    return { activeUser, bookingParties, insert, conversations, recentOf, thread, findParties, markRead }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}
