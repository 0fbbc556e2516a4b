/**
 * Reviews of completed bookings, one per booking and direction, written by a
 * participant within 14 days of the end. A client's review counts toward the
 * provider's rating summary, kept as a sum and a count on the user row and
 * changed in the statement that adds or hides the review — no average over
 * all reviews on every read.
 */
import { Context, Effect, Layer, Option } from "effect"
import type { BookingId } from "../bookings/Api.ts"
import { Forbidden, NotFound } from "../domain/Errors.ts"
import { keysetPage } from "../domain/Page.ts"
import type { UserId } from "../domain/User.ts"
import type { Caller } from "../users/Authentication.ts"
import { AlreadyReviewed, BookingNotCompleted, type NewReview, type ReviewId, ReviewWindowClosed, type ReviewView } from "./Api.ts"
import { CachedReads } from "../listings/CachedReads.ts"
import { type ReviewRow, ReviewsRepo } from "./ReviewsRepo.ts"

export const reviewView = (row: ReviewRow): ReviewView => ({
  id: row.id,
  booking_id: row.bookingId,
  reviewer_id: row.reviewerId,
  reviewee_id: row.revieweeId,
  direction: row.direction,
  rating: row.rating,
  comment: row.comment,
  status: row.status,
  created_at: row.createdAt.toISOString()
})

export class Reviews extends Context.Service<Reviews>()("maplehustle/reviews/Reviews", {
  make: Effect.gen(function*() {
    const repo = yield* ReviewsRepo
    const reads = yield* CachedReads

    const create = Effect.fn("Reviews.create")(function*(caller: Caller, review: NewReview) {
      const found = yield* repo.booking(review.booking_id as BookingId)
      const booking = Option.getOrUndefined(found)
      if (booking === undefined || (caller.id !== booking.clientId && caller.id !== booking.providerId)) {
        return yield* new NotFound({ message: `No booking ${review.booking_id}` })
      }
      if (booking.status !== "completed") {
        return yield* new BookingNotCompleted({ message: "Only completed bookings can be reviewed" })
      }
      if (booking.windowClosed) return yield* new ReviewWindowClosed({ message: "Reviews close 14 days after the booking ends" })
      const byClient = caller.id === booking.clientId
      const inserted = yield* repo.insert({
        bookingId: review.booking_id,
        reviewerId: caller.id,
        revieweeId: byClient ? booking.providerId : booking.clientId,
        direction: byClient ? "client_to_provider" : "provider_to_client",
        rating: review.rating,
        comment: review.comment ?? null
      })
      if (Option.isNone(inserted)) return yield* new AlreadyReviewed({ message: "You have already reviewed this booking" })
      yield* reads.userChanged(inserted.value.revieweeId)
      return reviewView(inserted.value)
    })

    const received = Effect.fn("Reviews.received")(function*(userId: UserId, query: { readonly limit?: number | undefined; readonly cursor?: string | undefined }) {
      return yield* keysetPage(query, (after, limit) => repo.received(userId, after, limit), reviewView, (row) => [row.createdAtKey, row.id])
    })

    const hide = Effect.fn("Reviews.hide")(function*(caller: Caller, id: ReviewId) {
      if (caller.role !== "admin") return yield* new Forbidden({ message: "Only admins moderate reviews" })
      const parties = yield* repo.hide(id)
      if (Option.isNone(parties)) return yield* new NotFound({ message: `No review ${id}` })
      yield* reads.userChanged(parties.value.revieweeId)
    })

    return { create, received, hide }
  })
}) {
  static readonly layerNoDeps = Layer.effect(this, this.make)
  static readonly layer = this.layerNoDeps.pipe(Layer.provide([ReviewsRepo.layer, CachedReads.layer]))
}
