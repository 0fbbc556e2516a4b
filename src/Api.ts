/**
 * The whole public contract (`../shared/API.md`), defined once: the server,
 * `/openapi.json`, `/docs` and the typed `HttpApiClient` all derive from it.
 */
import { HttpApi, OpenApi } from "effect/http-api"
import pkg from "../package.json" with { type: "json" }
import { BookingsApi } from "./bookings/Api.ts"
import { FilesApi } from "./files/Api.ts"
import { SystemApi } from "./health/Api.ts"
import { ItemsApi } from "./items/Api.ts"
import { ServicesApi } from "./listings/Api.ts"
import { AvailabilityApi } from "./listings/AvailabilityApi.ts"
import { MessagesApi } from "./messages/Api.ts"
import { NotificationsApi } from "./notifications/Api.ts"
import { OpsApi } from "./ops/Api.ts"
import { OrdersApi } from "./orders/Api.ts"
import { OverviewsApi } from "./overviews/Api.ts"
import { PaymentsApi } from "./payments/Api.ts"
import { ProvincesApi } from "./provinces/Api.ts"
import { ReviewsApi } from "./reviews/Api.ts"
import { SearchApi } from "./search/Api.ts"
import { AuthApi, UsersApi } from "./users/Api.ts"

export class Api extends HttpApi.make("maplehustle")
  .add(SystemApi)
  .add(AuthApi)
  .add(UsersApi)
  .add(ProvincesApi)
  .add(ServicesApi)
  .add(AvailabilityApi)
  .add(ItemsApi)
  .add(SearchApi)
  .add(BookingsApi)
  .add(OrdersApi)
  .add(PaymentsApi)
  .add(MessagesApi)
  .add(ReviewsApi)
  .add(NotificationsApi)
  .add(FilesApi)
  .add(OverviewsApi)
  .add(OpsApi)
  // A 400 names every offending field of a body or query, not only the first.
  .annotate(HttpApi.PayloadParseOptions, { errors: "all" })
  .annotate(HttpApi.QueryParseOptions, { errors: "all" })
  .annotateMerge(OpenApi.annotations({
    title: "MapleHustle API",
    version: pkg.version,
    description: "Book providers for services and buy handmade items across Canada."
  }))
{}
