import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { BookingId } from "../bookings/Api.ts"
import { BadRequest, Forbidden, IdempotencyKeyReused, InvalidTransition, NotFound } from "../domain/Errors.ts"
import { Amount } from "../domain/Money.ts"
import { Page, PageQuery } from "../domain/Page.ts"
import { IdempotencyHeaders } from "../infra/Idempotency.ts"
import { OrderId } from "../orders/Api.ts"
import { Authentication } from "../users/Authentication.ts"

export const PaymentId = Schema.String.check(Schema.isUUID()).pipe(Schema.brand("PaymentId"))
export type PaymentId = typeof PaymentId.Type

export const PaymentStatus = Schema.Literals(["held", "released", "partially_refunded", "refunded", "failed"])
export type PaymentStatus = typeof PaymentStatus.Type

export const PaymentView = Schema.Struct({
  id: Schema.String,
  payer_id: Schema.String,
  payee_id: Schema.NullOr(Schema.String),
  booking_id: Schema.NullOr(Schema.String),
  order_id: Schema.NullOr(Schema.String),
  amount: Schema.String,
  refunded_amount: Schema.String,
  currency: Schema.String,
  status: PaymentStatus,
  gateway_ref: Schema.NullOr(Schema.String),
  created_at: Schema.String,
  updated_at: Schema.String
})
export type PaymentView = typeof PaymentView.Type

export const RefundView = Schema.Struct({
  id: Schema.String,
  payment_id: Schema.String,
  amount: Schema.String,
  reason: Schema.String,
  created_at: Schema.String
})
export type RefundView = typeof RefundView.Type

export const NewPayment = Schema.Struct({
  booking_id: Schema.optional(BookingId),
  order_id: Schema.optional(OrderId),
  payment_token: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(255))
}).check(Schema.makeFilter((p) =>
  (p.booking_id === undefined) !== (p.order_id === undefined)
    ? undefined
    : { path: ["booking_id"], issue: "exactly one of booking_id and order_id" }
))
export type NewPayment = typeof NewPayment.Type

export const NewRefund = Schema.Struct({
  amount: Amount(1_000_000).check(Schema.makeFilter((a: string) => Number(a) > 0 || "more than 0")),
  reason: Schema.Trim.pipe(Schema.check(
    Schema.isMinLength(1, { message: "not blank" }),
    Schema.isMaxLength(1000, { message: "at most 1000 characters" })
  ))
})
export type NewRefund = typeof NewRefund.Type

export class PaymentDeclined extends Schema.TaggedError<PaymentDeclined>()("PaymentDeclined", {
  message: Schema.String
}, { httpApiStatus: 402 }) {}

export class AlreadyPaid extends Schema.TaggedError<AlreadyPaid>()("AlreadyPaid", {
  message: Schema.String
}, { httpApiStatus: 409 }) {}

export class RefundExceedsPayment extends Schema.TaggedError<RefundExceedsPayment>()("RefundExceedsPayment", {
  message: Schema.String,
  refundable: Schema.String
}, { httpApiStatus: 422 }) {}

const byId = { params: { id: PaymentId } }

export class PaymentsApi extends HttpApiGroup.make("payments")
  .add(
    HttpApiEndpoint.post("create", "/payments", {
      headers: IdempotencyHeaders,
      payload: NewPayment,
      success: PaymentView.pipe(HttpApiSchema.status(201)),
      error: [Forbidden, NotFound, InvalidTransition, AlreadyPaid, PaymentDeclined, IdempotencyKeyReused]
    }).annotate(
      OpenApi.Description,
      "The booking's or order's client pays its total (never a client-supplied amount) into escrow (`held`); a paid " +
        "order becomes `paid`. Bookings pay while pending or accepted, orders while pending; one successful payment " +
        "each (409 `AlreadyPaid`, guaranteed by a unique index). The simulated gateway declines `tok_decline` (402)."
    ),
    HttpApiEndpoint.get("list", "/payments", {
      query: PageQuery,
      success: Page(PaymentView),
      error: BadRequest
    }).annotate(OpenApi.Description, "Payments the caller made or receives, newest first."),
    HttpApiEndpoint.get("get", "/payments/:id", {
      ...byId,
      success: PaymentView,
      error: NotFound
    }).annotate(OpenApi.Description, "Payer, payee and admins; anyone else 404."),
    HttpApiEndpoint.post("release", "/payments/:id/release", {
      ...byId,
      success: PaymentView,
      error: [Forbidden, NotFound, InvalidTransition]
    }).annotate(OpenApi.Description, "Admins: held → released (the release job does it after completion or delivery)."),
    HttpApiEndpoint.post("refund", "/payments/:id/refunds", {
      ...byId,
      headers: IdempotencyHeaders,
      payload: NewRefund,
      success: RefundView.pipe(HttpApiSchema.status(201)),
      error: [Forbidden, NotFound, InvalidTransition, RefundExceedsPayment, IdempotencyKeyReused]
    }).annotate(
      OpenApi.Description,
      "Admins. Refunds never add up to more than the payment: the database's check decides, under races too (422)."
    ),
    HttpApiEndpoint.get("refunds", "/payments/:id/refunds", {
      ...byId,
      success: Schema.Array(RefundView),
      error: NotFound
    }).annotate(OpenApi.Description, "The payment's refunds, oldest first, for payer, payee and admins.")
  )
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Payments")
{}
