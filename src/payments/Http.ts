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
    .handle("create", ({ headers, payload }) =>
      CurrentUser.use((caller) =>
        idempotency.run({
          userId: caller.id,
          scope: "POST /payments",
          key: headers["idempotency-key"],
          body: payload,
          status: 201,
          success: PaymentView
        }, payments.pay(caller, payload))))
    .handle("list", ({ query }) => CurrentUser.use((caller) => payments.list(caller, query)))
    .handle("get", ({ params }) => CurrentUser.use((caller) => payments.get(caller, params.id)))
    .handle("release", ({ params }) => CurrentUser.use((caller) => payments.release(caller, params.id)))
    .handle("refund", ({ headers, params, payload }) =>
      CurrentUser.use((caller) =>
        idempotency.run({
          userId: caller.id,
          scope: `POST /payments/${params.id}/refunds`,
          key: headers["idempotency-key"],
          body: payload,
          status: 201,
          success: RefundView
        }, payments.refund(caller, params.id, payload))))
    .handle("refunds", ({ params }) => CurrentUser.use((caller) => payments.refunds(caller, params.id)))
}))
