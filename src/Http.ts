/**
 * The HTTP application: every route of `Api`, `/openapi.json`, Swagger UI at
 * `/docs`, and the edge middleware (request ids, headers, CORS, limits, error
 * envelope). `HttpApp` needs an `HttpServer` and the domain services, so tests
 * mount it on `NodeHttpServer.layerTest` with real or mocked services.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Effect, Layer } from "effect"
import { HttpRouter } from "effect/http"
import { HttpApiBuilder, HttpApiSwagger } from "effect/http-api"
import { createServer } from "node:http"
import { Api } from "./Api.ts"
import { Bookings } from "./bookings/Bookings.ts"
import { BookingsHttp } from "./bookings/Http.ts"
import { Files } from "./files/Files.ts"
import { FilesHttp } from "./files/Http.ts"
import { Health } from "./health/Health.ts"
import { SystemHttp } from "./health/Http.ts"
import { HttpEdgeLive, RouteTemplate } from "./infra/HttpEdge.ts"
import { spanNames } from "./infra/RouteNames.ts"
import * as Settings from "./infra/Settings.ts"
import { Idempotency } from "./infra/Idempotency.ts"
import { ItemsHttp } from "./items/Http.ts"
import { Items } from "./items/Items.ts"
import { Availability } from "./listings/Availability.ts"
import { AvailabilityHttp } from "./listings/AvailabilityHttp.ts"
import { ServicesHttp } from "./listings/Http.ts"
import { Services } from "./listings/Services.ts"
import { MessagesHttp } from "./messages/Http.ts"
import { Messages } from "./messages/Messages.ts"
import { NotificationsHttp } from "./notifications/Http.ts"
import { Notifications } from "./notifications/Notifications.ts"
import { OpsHttp } from "./ops/Http.ts"
import { MetricsRoute } from "./ops/MetricsHttp.ts"
import { OrdersHttp } from "./orders/Http.ts"
import { OverviewsHttp } from "./overviews/Http.ts"
import { Overviews } from "./overviews/Overviews.ts"
import { Orders } from "./orders/Orders.ts"
import { Ops } from "./ops/Ops.ts"
import { PaymentsHttp } from "./payments/Http.ts"
import { Payments } from "./payments/Payments.ts"
import { ProvincesHttp } from "./provinces/Http.ts"
import { Provinces } from "./provinces/Provinces.ts"
import { ReviewsHttp } from "./reviews/Http.ts"
import { Reviews } from "./reviews/Reviews.ts"
import { SearchHttp } from "./search/Http.ts"
import { Search } from "./search/Search.ts"
import { AccessTokens } from "./users/AccessTokens.ts"
import { AdminAccountLive } from "./users/AdminAccount.ts"
import { Auth } from "./users/Auth.ts"
import { AuthHttp } from "./users/AuthHttp.ts"
import { AuthenticationLive } from "./users/AuthenticationLive.ts"
import { UsersHttp } from "./users/Http.ts"
import { Users } from "./users/Users.ts"
import { UsersRepo } from "./users/UsersRepo.ts"

const Routes = Layer.mergeAll(
  HttpApiBuilder.layer(Api, { openapiPath: "/openapi.json" }).pipe(
    Layer.provide([SystemHttp, AuthHttp, UsersHttp, ProvincesHttp, ServicesHttp, AvailabilityHttp, ItemsHttp, SearchHttp, BookingsHttp, OrdersHttp, PaymentsHttp, MessagesHttp, ReviewsHttp, NotificationsHttp, FilesHttp, OverviewsHttp, OpsHttp]),
    Layer.provide(AuthenticationLive),
    Layer.provide(RouteTemplate)
  ),
  HttpApiSwagger.layer(Api, { path: "/docs" }),
  MetricsRoute,
  HttpEdgeLive
)

// No access log: it costs more than half the throughput (STYLE §4.7); the edge logs each 500 once.
export const HttpApp = HttpRouter.serve(Routes, { disableLogger: true }).pipe(Layer.provide(spanNames(Api)))

export const DomainLive = Layer.mergeAll(
  Health.layer,
  Ops.layer,
  Provinces.layer,
  Services.layer,
  Availability.layer,
  Items.layer,
  Search.layer,
  Bookings.layer,
  Overviews.layer,
  Orders.layer,
  Payments.layer,
  Reviews.layer,
  Messages.layer,
  Notifications.layer,
  Idempotency.layer,
  Files.layer,
  Users.layer,
  Auth.layer,
  AdminAccountLive,
  AccessTokens.layer,
  UsersRepo.layer
)

/** How long a client may take to send its headers, and its whole request. */
export interface ClientTimeouts {
  readonly headersMs: number
  readonly requestMs: number
}

const clientTimeouts: ClientTimeouts = { headersMs: 10_000, requestMs: 30_000 }

/**
 * Node's own timeouts bound slow clients (a slow-loris holds no connection for
 * long): headers within 10 s, a whole request within 30 s, checked every
 * second (Node's default check runs every 30 s, which would let a client
 * trickling headers hold its connection for up to 40 s). On shutdown the
 * server stops accepting, closes idle keep-alive connections and lets requests
 * in flight finish for up to 10 s.
 */
export const serverOn = (port: number, timeouts: ClientTimeouts = clientTimeouts) =>
  NodeHttpServer.layer(
    () =>
      createServer({
        headersTimeout: timeouts.headersMs,
        requestTimeout: timeouts.requestMs,
        connectionsCheckingInterval: Math.min(1_000, timeouts.headersMs),
        keepAliveTimeout: 5_000
      }),
    { port, gracefulShutdownTimeout: "10 seconds" }
  )

/** `PORT=0` takes a free port: the `Listening on` line that `HttpRouter.serve` logs names it. */
const ServerLive = Layer.unwrap(Effect.map(Settings.int("PORT", { default: 3000, min: 0, max: 65535 }), serverOn))

// The server listens once built: DomainLive (and the migrations below it) come first.
export const HttpLive = HttpApp.pipe(Layer.provide(ServerLive), Layer.provide(DomainLive))
