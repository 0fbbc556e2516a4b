import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { BadRequest, Forbidden, IdempotencyKeyReused, InvalidTransition, NotFound } from "../domain/Errors.ts"
import { IdempotencyHeaders } from "../infra/Idempotency.ts"
import { Page, PageQuery } from "../domain/Page.ts"
import { ServiceId, ServiceView } from "../listings/Api.ts"
import { Timestamp } from "../listings/AvailabilityApi.ts"
import { PublicUserView } from "../users/Api.ts"
import { Authentication } from "../users/Authentication.ts"

export const BookingId = Schema.String.check(Schema.isUUID()).pipe(Schema.brand("BookingId"))
export type BookingId = typeof BookingId.Type

export const BookingStatus = Schema.Literals(["pending", "accepted", "completed", "canceled"])
export type BookingStatus = typeof BookingStatus.Type

export const BookingView = Schema.Struct({
  id: Schema.String,
  client_id: Schema.String,
  provider_id: Schema.String,
  service_id: Schema.String,
  start_at: Schema.String,
  end_at: Schema.String,
  status: BookingStatus,
  total_amount: Schema.String,
  platform_fee: Schema.String,
  currency: Schema.String,
  notes: Schema.NullOr(Schema.String),
  cancellation_reason: Schema.NullOr(Schema.String),
  created_at: Schema.String,
  updated_at: Schema.String
})
export type BookingView = typeof BookingView.Type

export const BookingDetailView = Schema.Struct({
  ...BookingView.fields,
  service: ServiceView,
  client: PublicUserView,
  provider: PublicUserView
})
export type BookingDetailView = typeof BookingDetailView.Type

export const NewBooking = Schema.Struct({
  service_id: ServiceId,
  start_at: Timestamp,
  end_at: Timestamp,
  notes: Schema.optional(Schema.Trim.check(Schema.isMaxLength(2000, { message: "at most 2000 characters" })))
}).check(Schema.makeFilter((booking) =>
  Date.parse(booking.start_at) < Date.parse(booking.end_at) ? undefined : { path: ["end_at"], issue: "must be after start_at" }
))
export type NewBooking = typeof NewBooking.Type

export const BookingRule = Schema.Literals([
  "service_unavailable",
  "provider_not_verified",
  "outside_availability",
  "too_soon",
  "too_far",
  "too_short",
  "too_long",
  "province_mismatch"
])
export type BookingRule = typeof BookingRule.Type

export class BookingRuleViolation extends Schema.TaggedError<BookingRuleViolation>()("BookingRuleViolation", {
  message: Schema.String,
  rule: BookingRule
}, { httpApiStatus: 422 }) {}

export class SlotUnavailable extends Schema.TaggedError<SlotUnavailable>()("SlotUnavailable", {
  message: Schema.String
}, { httpApiStatus: 409 }) {}

const byId = { params: { id: BookingId } }

export class BookingsApi extends HttpApiGroup.make("bookings")
  .add(
    HttpApiEndpoint.post("create", "/bookings", {
      headers: IdempotencyHeaders,
      payload: NewBooking,
      success: BookingView.pipe(HttpApiSchema.status(201)),
      error: [Forbidden, NotFound, BookingRuleViolation, SlotUnavailable, IdempotencyKeyReused]
    }).annotate(
      OpenApi.Description,
      "Clients only. The price comes from the service's rates: the daily rate for 8 hours and more when there is one, " +
        "else the hourly rate × hours; the platform fee is 10 % of it. Rules are checked in the order of `rule`'s " +
        "values (422); an overlap with another pending or accepted booking of the provider is refused by the " +
        "database's exclusion constraint (409), however many requests race. With an `Idempotency-Key`, a repeat of the " +
        "same body within 24 h replays the first response (`Idempotent-Replayed: true`); another body → 409."
    ),
    HttpApiEndpoint.get("list", "/bookings", {
      query: {
        role: Schema.optional(Schema.Literals(["client", "provider"])),
        status: Schema.optional(BookingStatus),
        ...PageQuery
      },
      success: Page(BookingView),
      error: BadRequest
    }).annotate(OpenApi.Description, "The caller's bookings, newest first; `role` picks the side (default: the caller's role)."),
    HttpApiEndpoint.get("get", "/bookings/:id", {
      ...byId,
      success: BookingDetailView,
      error: NotFound
    }).annotate(OpenApi.Description, "Participants and admins; anyone else 404."),
    HttpApiEndpoint.post("accept", "/bookings/:id/accept", {
      ...byId,
      success: BookingView,
      error: [Forbidden, NotFound, InvalidTransition]
    }).annotate(OpenApi.Description, "The provider: pending → accepted. Schedules a reminder 24 h before the start."),
    HttpApiEndpoint.post("complete", "/bookings/:id/complete", {
      ...byId,
      success: BookingView,
      error: [Forbidden, NotFound, InvalidTransition]
    }).annotate(OpenApi.Description, "The provider once the start has passed, or an admin at any time: accepted → completed."),
    HttpApiEndpoint.post("cancel", "/bookings/:id/cancel", {
      ...byId,
      payload: Schema.Struct({
        reason: Schema.optional(Schema.Trim.check(Schema.isMaxLength(1000, { message: "at most 1000 characters" })))
      }),
      success: BookingView,
      error: [Forbidden, NotFound, InvalidTransition]
    }).annotate(OpenApi.Description, "Either participant or an admin: pending or accepted → canceled.")
  )
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Bookings")
{}
