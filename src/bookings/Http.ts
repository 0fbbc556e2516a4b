import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.ts"
import { BookingView } from "./Api.ts"
import { Idempotency } from "../infra/Idempotency.ts"
import { CurrentUser } from "../users/Authentication.ts"
import { Bookings } from "./Bookings.ts"

export const BookingsHttp = HttpApiBuilder.group(Api, "bookings", Effect.fn(function*(handlers) {
  const bookings = yield* Bookings
  const idempotency = yield* Idempotency
  return handlers
    .handle("create", (request) =>
      CurrentUser.use((caller) =>
        idempotency.created(caller, request, { scope: "POST /bookings", success: BookingView }, bookings.create(caller, request.payload))))
    .handle("list", ({ query }) => CurrentUser.use((caller) => bookings.list(caller, query)))
    .handle("get", ({ params }) => CurrentUser.use((caller) => bookings.get(caller, params.id)))
    .handle("accept", ({ params }) => CurrentUser.use((caller) => bookings.accept(caller, params.id)))
    .handle("complete", ({ params }) => CurrentUser.use((caller) => bookings.complete(caller, params.id)))
    .handle("cancel", ({ params, payload }) => CurrentUser.use((caller) => bookings.cancel(caller, params.id, payload.reason)))
}))
