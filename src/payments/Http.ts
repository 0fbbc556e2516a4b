import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.ts"
import { Idempotency } from "../infra/Idempotency.ts"
import { CurrentUser } from "../users/Authentication.ts"
import { PaymentView, RefundView } from "./Api.ts"
import { Payments } from "./Payments.ts"

export const PaymentsHttp = HttpApiBuilder.group(Api, "payments", Effect.fn(function*(handlers) {
  const payments = yield* Payments
  const idempotency = yield* Idempotency
  return handlers
    .handle("create", (request) =>
      CurrentUser.use((caller) =>
        idempotency.created(caller, request, { scope: "POST /payments", success: PaymentView }, payments.pay(caller, request.payload))))
    .handle("list", ({ query }) => CurrentUser.use((caller) => payments.list(caller, query)))
    .handle("get", ({ params }) => CurrentUser.use((caller) => payments.get(caller, params.id)))
    .handle("release", ({ params }) => CurrentUser.use((caller) => payments.release(caller, params.id)))
    .handle("refund", (request) =>
      CurrentUser.use((caller) =>
        idempotency.created(
          caller,
          request,
          { scope: `POST /payments/${request.params.id}/refunds`, success: RefundView },
          payments.refund(caller, request.params.id, request.payload)
        )))
    .handle("refunds", ({ params }) => CurrentUser.use((caller) => payments.refunds(caller, params.id)))
}))
