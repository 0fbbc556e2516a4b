import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { BadRequest, Forbidden, NotFound } from "../domain/Errors.ts"
import { Amount } from "../domain/Money.ts"
import { BooleanParam, Page, PageQuery } from "../domain/Page.ts"
import { UserId } from "../domain/User.ts"
import { Authentication } from "../users/Authentication.ts"
import { PublicUserView } from "../users/Api.ts"

export const ServiceType = Schema.Literals(["dog_sitting", "dog_walking", "house_sitting", "lawn_maintenance", "house_cleaning", "errands"])
export type ServiceType = typeof ServiceType.Type
export const ServiceStatus = Schema.Literals(["active", "inactive"])

export const ServiceId = Schema.String.check(Schema.isUUID()).pipe(Schema.brand("ServiceId"))
export type ServiceId = typeof ServiceId.Type

export const HourlyRate = Amount(1000)
export const DailyRate = Amount(5000)

const Title = Schema.Trim.pipe(Schema.check(
  Schema.isMinLength(3, { message: "at least 3 characters" }),
  Schema.isMaxLength(200, { message: "at most 200 characters" })
))
const LongText = Schema.Trim.pipe(Schema.check(Schema.isMaxLength(5000, { message: "at most 5000 characters" })))

export const ServiceView = Schema.Struct({
  id: Schema.String,
  provider_id: Schema.String,
  type: ServiceType,
  title: Schema.String,
  description: Schema.String,
  terms: Schema.NullOr(Schema.String),
  hourly_rate: Schema.NullOr(Schema.String),
  daily_rate: Schema.NullOr(Schema.String),
  is_featured: Schema.Boolean,
  status: ServiceStatus,
  created_at: Schema.String,
  updated_at: Schema.String,
  provider: PublicUserView
})
export type ServiceView = typeof ServiceView.Type

export const NewService = Schema.Struct({
  type: ServiceType,
  title: Title,
  description: LongText,
  terms: Schema.optional(LongText),
  hourly_rate: Schema.optional(HourlyRate),
  daily_rate: Schema.optional(DailyRate),
  is_featured: Schema.optional(Schema.Boolean)
})
export type NewService = typeof NewService.Type

export const ServiceChanges = Schema.Struct({
  type: Schema.optional(ServiceType),
  title: Schema.optional(Title),
  description: Schema.optional(LongText),
  terms: Schema.optional(Schema.NullOr(LongText)),
  hourly_rate: Schema.optional(Schema.NullOr(HourlyRate)),
  daily_rate: Schema.optional(Schema.NullOr(DailyRate)),
  is_featured: Schema.optional(Schema.Boolean),
  status: Schema.optional(ServiceStatus)
})
export type ServiceChanges = typeof ServiceChanges.Type

export class ServicesApi extends HttpApiGroup.make("services")
  .add(
    HttpApiEndpoint.post("create", "/services", {
      payload: NewService,
      success: ServiceView.pipe(HttpApiSchema.status(201)),
      error: [BadRequest, Forbidden]
    }).middleware(Authentication)
      .annotate(OpenApi.Description, "Providers only. At least one rate; hourly 0–1000, daily 0–5000, as decimal strings (numbers are accepted)."),
    HttpApiEndpoint.get("list", "/services", {
      query: { type: Schema.optional(ServiceType), provider_id: Schema.optional(UserId), featured: Schema.optional(BooleanParam), ...PageQuery },
      success: Page(ServiceView),
      error: BadRequest
    }).annotate(OpenApi.Description, "Active services, newest first, in keyset pages."),
    HttpApiEndpoint.get("get", "/services/:id", {
      params: { id: ServiceId },
      success: ServiceView,
      error: NotFound
    }),
    HttpApiEndpoint.patch("update", "/services/:id", {
      params: { id: ServiceId },
      payload: ServiceChanges,
      success: ServiceView,
      error: [BadRequest, Forbidden, NotFound]
    }).middleware(Authentication)
      .annotate(OpenApi.Description, "The owning provider only (anyone else → 403). An absent field is kept, `null` clears a nullable one; a service keeps at least one rate."),
    HttpApiEndpoint.delete("remove", "/services/:id", {
      params: { id: ServiceId },
      success: HttpApiSchema.NoContent,
      error: [Forbidden, NotFound]
    }).middleware(Authentication)
      .annotate(OpenApi.Description, "Soft delete by the owning provider; the service then answers 404.")
  )
  .annotate(OpenApi.Title, "Services")
{}
