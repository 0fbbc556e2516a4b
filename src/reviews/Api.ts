import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { BadRequest, Forbidden, NotFound } from "../domain/Errors.ts"
import { Page, PageQuery } from "../domain/Page.ts"
import { UserId } from "../domain/User.ts"
import { BookingId } from "../bookings/Api.ts"
import { Authentication } from "../users/Authentication.ts"

export const ReviewId = Schema.String.check(Schema.isUUID()).pipe(Schema.brand("ReviewId"))
export type ReviewId = typeof ReviewId.Type

export const ReviewView = Schema.Struct({
  id: Schema.String,
  booking_id: Schema.String,
  reviewer_id: Schema.String,
  reviewee_id: Schema.String,
  direction: Schema.Literals(["client_to_provider", "provider_to_client"]),
  rating: Schema.Number,
  comment: Schema.NullOr(Schema.String),
  status: Schema.Literals(["visible", "hidden"]),
  created_at: Schema.String
})
export type ReviewView = typeof ReviewView.Type

export const NewReview = Schema.Struct({
  booking_id: BookingId,
  rating: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 5 })),
  comment: Schema.optional(Schema.Trim.pipe(Schema.check(
    Schema.isMinLength(10, { message: "at least 10 characters" }),
    Schema.isMaxLength(1000, { message: "at most 1000 characters" })
  )))
})
export type NewReview = typeof NewReview.Type

export class BookingNotCompleted extends Schema.TaggedError<BookingNotCompleted>()("BookingNotCompleted", {
  message: Schema.String
}, { httpApiStatus: 422 }) {}

export class ReviewWindowClosed extends Schema.TaggedError<ReviewWindowClosed>()("ReviewWindowClosed", {
  message: Schema.String
}, { httpApiStatus: 422 }) {}

export class AlreadyReviewed extends Schema.TaggedError<AlreadyReviewed>()("AlreadyReviewed", {
  message: Schema.String
}, { httpApiStatus: 409 }) {}

export class ReviewsApi extends HttpApiGroup.make("reviews")
  .add(
    HttpApiEndpoint.post("create", "/reviews", {
      payload: NewReview,
      success: ReviewView.pipe(HttpApiSchema.status(201)),
      error: [NotFound, BookingNotCompleted, ReviewWindowClosed, AlreadyReviewed]
    }).middleware(Authentication)
      .annotate(
        OpenApi.Description,
        "A participant of a completed booking, within 14 days of its end; the direction follows from the caller. One " +
          "review per booking and direction (409). The provider's rating summary is updated in the same transaction."
      ),
    HttpApiEndpoint.get("forUser", "/users/:id/reviews", {
      params: { id: UserId },
      query: PageQuery,
      success: Page(ReviewView),
      error: BadRequest
    }).annotate(OpenApi.Description, "Visible reviews the user received, newest first."),
    HttpApiEndpoint.post("hide", "/reviews/:id/hide", {
      params: { id: ReviewId },
      success: HttpApiSchema.NoContent,
      error: [Forbidden, NotFound]
    }).middleware(Authentication)
      .annotate(OpenApi.Description, "Admins: the review stops counting and showing; hiding twice changes nothing.")
  )
  .annotate(OpenApi.Title, "Reviews")
{}
