import { Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { BookingId } from "../bookings/Api.ts"
import type { UserId } from "../domain/User.ts"
import * as Resolvers from "../infra/Resolvers.ts"
import { olderThan } from "../infra/Sql.ts"
import type { ReviewId } from "./Api.ts"

/** How many of a user's latest reviews a composite read (the service overview) carries. */
export const RECENT_REVIEWS = 20

export type Direction = "client_to_provider" | "provider_to_client"

export interface ReviewRow {
  readonly id: ReviewId
  readonly bookingId: BookingId
  readonly reviewerId: UserId
  readonly revieweeId: UserId
  readonly direction: Direction
  readonly rating: number
  readonly comment: string | null
  readonly status: "visible" | "hidden"
  readonly createdAt: Date
  readonly createdAtKey: string
}

export class ReviewsRepo extends Context.Service<ReviewsRepo>()("maplehustle/reviews/ReviewsRepo", {
  make: Effect.gen(function*() {
    const sql = yield* SqlClient
    const columns = sql`id, booking_id, reviewer_id, reviewee_id, direction, rating, comment, status, created_at,
      created_at::text AS created_at_key`

    const booking = Effect.fn("ReviewsRepo.booking")(function*(id: BookingId) {
      const rows = yield* sql<{ clientId: UserId; providerId: UserId; status: string; windowClosed: boolean }>`
        SELECT client_id, provider_id, status, upper(period) < now() - interval '14 days' AS window_closed
        FROM bookings WHERE id = ${id}`
      return Option.fromNullishOr(rows[0])
    }, Effect.orDie)

    /**
     * The review and, for a client's review of a provider, the provider's
     * rating sum and count, in one statement. `None`: this booking already has
     * a review in this direction (the unique constraint decides, under races too).
     */
    const insert = Effect.fn("ReviewsRepo.insert")(function*(review: {
      readonly bookingId: BookingId
      readonly reviewerId: UserId
      readonly revieweeId: UserId
      readonly direction: Direction
      readonly rating: number
      readonly comment: string | null
    }) {
      const rows = yield* sql<ReviewRow>`
        WITH inserted AS (
          INSERT INTO reviews (booking_id, reviewer_id, reviewee_id, direction, rating, comment)
          VALUES (${review.bookingId}, ${review.reviewerId}, ${review.revieweeId}, ${review.direction}, ${review.rating}, ${review.comment})
          ON CONFLICT ON CONSTRAINT reviews_one_per_direction DO NOTHING
          RETURNING *
        ), rated AS (
          UPDATE users u SET rating_sum = u.rating_sum + i.rating, rating_count = u.rating_count + 1
          FROM inserted i WHERE u.id = i.reviewee_id AND i.direction = 'client_to_provider'
        )
        SELECT ${columns} FROM inserted`
      return Option.fromNullishOr(rows[0])
    }, Effect.orDie)

    /** The latest `RECENT_REVIEWS` visible reviews each user received, newest first. */
    const recentReceived = Resolvers.byParent<UserId, ReviewRow>("ReviewsRepo.recentReceived", {
      parent: (row) => row.revieweeId,
      execute: (ids) => sql<ReviewRow>`
        SELECT r.* FROM unnest(${ids}::uuid[]) AS p(reviewee_id)
        CROSS JOIN LATERAL (
          SELECT ${columns} FROM reviews x
          WHERE x.reviewee_id = p.reviewee_id AND x.status = 'visible'
          ORDER BY x.created_at DESC, x.id DESC LIMIT ${RECENT_REVIEWS}
        ) r
        ORDER BY p.reviewee_id, r.created_at DESC, r.id DESC`
    })

    const received = Effect.fn("ReviewsRepo.received")(function*(userId: UserId, after: Option.Option<readonly [string, string]>, limit: number) {
      return yield* sql<ReviewRow>`
        SELECT ${columns} FROM reviews r
        WHERE r.reviewee_id = ${userId} AND r.status = 'visible' AND ${olderThan(sql, "r", after)}
        ORDER BY r.created_at DESC, r.id DESC LIMIT ${limit + 1}`
    }, Effect.orDie)

    /** Hides a visible review and takes it out of the rating; the review's parties, `None` when there is no such review. */
    const hide = Effect.fn("ReviewsRepo.hide")(function*(id: ReviewId) {
      const rows = yield* sql<{ reviewerId: UserId; revieweeId: UserId }>`
        WITH hidden AS (
          UPDATE reviews SET status = 'hidden' WHERE id = ${id} AND status = 'visible' RETURNING reviewee_id, rating, direction
        ), unrated AS (
          UPDATE users u SET rating_sum = u.rating_sum - h.rating, rating_count = u.rating_count - 1
          FROM hidden h WHERE u.id = h.reviewee_id AND h.direction = 'client_to_provider'
        )
        SELECT reviewer_id, reviewee_id FROM reviews WHERE id = ${id}`
      return Option.fromNullishOr(rows[0])
    }, Effect.orDie)

    return { booking, insert, recentReceived, received, hide }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}
