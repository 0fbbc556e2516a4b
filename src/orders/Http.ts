import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.ts"
import { OrderView } from "./Api.ts"
import { Idempotency } from "../infra/Idempotency.ts"
import { CurrentUser } from "../users/Authentication.ts"
import { Orders } from "./Orders.ts"

export const OrdersHttp = HttpApiBuilder.group(Api, "orders", Effect.fn(function*(handlers) {
  const orders = yield* Orders
  const idempotency = yield* Idempotency
  return handlers
    .handle("create", (request) =>
      CurrentUser.use((caller) =>
        idempotency.created(caller, request, { scope: "POST /orders", success: OrderView }, orders.create(caller, request.payload))))
    .handle("list", ({ query }) => CurrentUser.use((caller) => orders.list(caller, query)))
    .handle("get", ({ params }) => CurrentUser.use((caller) => orders.get(caller, params.id)))
    .handle("cancel", ({ params }) => CurrentUser.use((caller) => orders.cancel(caller, params.id)))
    .handle("ship", ({ params, payload }) =>
      CurrentUser.use((caller) => orders.ship(caller, params.id, payload.carrier, payload.tracking_number)))
    .handle("deliver", ({ params }) => CurrentUser.use((caller) => orders.deliver(caller, params.id)))
}))
