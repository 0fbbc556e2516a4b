import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { BookingDetailView, BookingView } from "../bookings/Api.ts"
import { Forbidden, NotFound } from "../domain/Errors.ts"
import { UserId } from "../domain/User.ts"
import { ServiceId, ServiceView } from "../listings/Api.ts"
import { MessageView } from "../messages/Api.ts"
import { OrderView } from "../orders/Api.ts"
import { PaymentView } from "../payments/Api.ts"
import { ReviewView } from "../reviews/Api.ts"
import { Authentication, OptionalAuthentication } from "../users/Authentication.ts"
import { PublicUserView, Rating, UserView } from "../users/Api.ts"

export const UserOverview = Schema.Struct({
  user: UserView,
  services: Schema.Array(ServiceView),
  bookings: Schema.Array(BookingDetailView),
  orders: Schema.Array(Schema.Struct({ ...OrderView.fields, payments: Schema.Array(PaymentView) })),
  recent_messages: Schema.Array(MessageView)
})
export type UserOverview = typeof UserOverview.Type

export const ServiceOverview = Schema.Struct({
  service: ServiceView,
  provider: PublicUserView,
  reviews: Schema.Array(Schema.Struct({ ...ReviewView.fields, reviewer: PublicUserView })),
  rating: Schema.NullOr(Rating),
  bookings: Schema.optional(Schema.Array(BookingView))
})
export type ServiceOverview = typeof ServiceOverview.Type

export class OverviewsApi extends HttpApiGroup.make("overviews")
  .add(
    HttpApiEndpoint.get("user", "/users/:id/overview", {
      params: { id: UserId },
      success: UserOverview,
      error: [Forbidden, NotFound]
    }).middleware(Authentication)
      .annotate(
        OpenApi.Description,
        "That user or an admin (anyone else 403). The whole account in one read: profile, services, the latest 500 bookings " +
          "(as client or provider, each with its service, client and provider), the latest 500 orders with their payments, " +
          "and the 20 latest messages sent or received."
      ),
    HttpApiEndpoint.get("service", "/services/:id/overview", {
      params: { id: ServiceId },
      success: ServiceOverview,
      error: NotFound
    }).middleware(OptionalAuthentication)
      .annotate(
        OpenApi.Description,
        "Public. The service, its provider and the provider's rating, and the provider's 20 latest visible reviews, each " +
          "with its author; for the owning provider or an admin also the service's latest 500 bookings. 404 if deleted."
      )
  )
  .annotate(OpenApi.Title, "Overviews")
{}
