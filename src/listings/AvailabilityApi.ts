import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { BadRequest, Forbidden, NotFound } from "../domain/Errors.ts"
import { UserId } from "../domain/User.ts"
import { Authentication } from "../users/Authentication.ts"

export const SlotId = Schema.String.check(Schema.isUUID()).pipe(Schema.brand("SlotId"))
export type SlotId = typeof SlotId.Type

/** An RFC 3339 timestamp with its offset, e.g. `2026-12-01T15:00:00Z`. */
export const Timestamp = Schema.String.check(
  Schema.isPattern(/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,6})?)?(Z|[+-]\d\d:\d\d)$/, { message: "an RFC 3339 timestamp such as 2026-12-01T15:00:00Z" }),
  Schema.makeFilter((s: string) => !Number.isNaN(Date.parse(s)) || "a real date and time")
)

export const SlotView = Schema.Struct({
  id: Schema.String,
  provider_id: Schema.String,
  start_at: Schema.String,
  end_at: Schema.String,
  booked: Schema.Boolean
})
export type SlotView = typeof SlotView.Type

export class AvailabilityRuleViolation extends Schema.TaggedError<AvailabilityRuleViolation>()("AvailabilityRuleViolation", {
  message: Schema.String,
  rule: Schema.Literals(["in_the_past", "too_short", "too_long"])
}, { httpApiStatus: 422 }) {}

export class AvailabilityOverlap extends Schema.TaggedError<AvailabilityOverlap>()("AvailabilityOverlap", {
  message: Schema.String
}, { httpApiStatus: 409 }) {}

export class SlotHasBookings extends Schema.TaggedError<SlotHasBookings>()("SlotHasBookings", {
  message: Schema.String
}, { httpApiStatus: 409 }) {}

export class AvailabilityApi extends HttpApiGroup.make("availability")
  .add(
    HttpApiEndpoint.post("create", "/availability", {
      payload: Schema.Struct({ start_at: Timestamp, end_at: Timestamp }),
      success: SlotView.pipe(HttpApiSchema.status(201)),
      error: [BadRequest, Forbidden, AvailabilityRuleViolation, AvailabilityOverlap]
    }).middleware(Authentication)
      .annotate(OpenApi.Description, "Providers only. Slots are half-open [start_at, end_at): touching slots do not overlap. 15 min to 24 h, starting in the future (else 422); overlapping one of the provider's slots → 409."),
    HttpApiEndpoint.get("list", "/availability", {
      query: { provider_id: UserId, from: Schema.optional(Timestamp), to: Schema.optional(Timestamp) },
      success: Schema.Array(SlotView),
      error: BadRequest
    }).annotate(OpenApi.Description, "A provider's slots overlapping [from, to) (default: from now on), by start, at most 1,000; `booked` when a pending or accepted booking overlaps the slot."),
    HttpApiEndpoint.delete("remove", "/availability/:id", {
      params: { id: SlotId },
      success: HttpApiSchema.NoContent,
      error: [Forbidden, NotFound, SlotHasBookings]
    }).middleware(Authentication)
      .annotate(OpenApi.Description, "The owning provider only; 409 while a pending or accepted booking lies inside the slot.")
  )
  .annotate(OpenApi.Title, "Availability")
{}
