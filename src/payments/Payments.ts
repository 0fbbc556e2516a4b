/**
 * Payments into escrow for bookings and orders. The amount is always the
 * subject's own total; the subject is locked for the payment's transaction,
 * so concurrent payments of one booking take turns, and a unique index keeps
 * one successful payment per subject whatever happens. A declined charge is
 * recorded as `failed`. Every money change writes its notification and
 * delivery job in the same transaction.
 */
import { Context, Effect, Layer, Option } from "effect"
import type { BookingId } from "../bookings/Api.ts"
import { Forbidden, InvalidTransition, NotFound } from "../domain/Errors.ts"
import { keysetPage } from "../domain/Page.ts"
import { Transactions } from "../infra/Sql.ts"
import { Notifier } from "../notifications/Notifier.ts"
import type { OrderId } from "../orders/Api.ts"
import type { Caller } from "../users/Authentication.ts"
import { AlreadyPaid, type NewPayment, type NewRefund, PaymentDeclined, type PaymentId, type PaymentView, type RefundView } from "./Api.ts"
import { PaymentGateway } from "./Gateway.ts"
import { type PaymentRow, PaymentsRepo, type RefundRow } from "./PaymentsRepo.ts"

export const paymentView = (row: PaymentRow): PaymentView => ({
  id: row.id,
  payer_id: row.payerId,
  payee_id: row.payeeId,
  booking_id: row.bookingId,
  order_id: row.orderId,
  amount: row.amount,
  refunded_amount: row.refundedAmount,
  currency: row.currency,
  status: row.status,
  gateway_ref: row.gatewayRef,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString()
})

const refundView = (row: RefundRow): RefundView => ({
  id: row.id,
  payment_id: row.paymentId,
  amount: row.amount,
  reason: row.reason,
  created_at: row.createdAt.toISOString()
})

export class Payments extends Context.Service<Payments>()("maplehustle/payments/Payments", {
  make: Effect.gen(function*() {
    const repo = yield* PaymentsRepo
    const gateway = yield* PaymentGateway
    const tx = yield* Transactions

    const { notify } = yield* Notifier

    const pay = Effect.fn("Payments.pay")(function*(caller: Caller, payment: NewPayment) {
      const bookingId: BookingId | null = payment.booking_id ?? null
      const orderId: OrderId | null = payment.order_id ?? null
      const kind = bookingId !== null ? "booking" : "order"
      const what = `${kind} ${bookingId ?? orderId}`
      const outcome = yield* tx.withTransaction(Effect.gen(function*() {
        const found = yield* repo.lockSubject({ bookingId: payment.booking_id, orderId: payment.order_id })
        if (Option.isNone(found) || found.value.payerId !== caller.id) return yield* new NotFound({ message: `No ${what}` })
        const subject = found.value
        const payable = kind === "booking" ? ["pending", "accepted"].includes(subject.status) : subject.status === "pending"
        if (yield* repo.hasSucceeded({ bookingId, orderId })) return yield* new AlreadyPaid({ message: `The ${what} is already paid` })
        if (!payable) return yield* new InvalidTransition({ message: `A ${subject.status} ${kind} cannot be paid` })
        const base = { payerId: caller.id, payeeId: subject.payeeId, bookingId, orderId, amount: subject.amount }
        const charged = yield* Effect.result(gateway.charge({ amount: subject.amount, token: payment.payment_token, reference: what }))
        if (charged._tag === "Failure") {
          const failed = yield* repo.insert({ ...base, status: "failed", gatewayRef: null, failureReason: charged.failure.reason })
          return { declined: charged.failure.reason, row: failed } as const
        }
        const row = yield* repo.insert({ ...base, status: "held", gatewayRef: charged.success.ref, failureReason: null })
        if (orderId !== null) yield* repo.markOrderPaid(orderId)
        if (subject.payeeId !== null) yield* notify([subject.payeeId], "payment_received", `Payment of ${subject.amount} CAD received for ${what} (held until completion).`)
        return { declined: null, row } as const
      }))
      // The failed attempt is committed, then the client hears 402.
      if (outcome.declined !== null) return yield* new PaymentDeclined({ message: outcome.declined })
      return paymentView(outcome.row)
    })

    const visible = (caller: Caller, id: PaymentId) =>
      Effect.gen(function*() {
        const row = yield* repo.findById(id)
        if (Option.isNone(row) || (caller.role !== "admin" && row.value.payerId !== caller.id && row.value.payeeId !== caller.id)) {
          return yield* new NotFound({ message: `No payment ${id}` })
        }
        return row.value
      })

    const adminOnly = (caller: Caller) => caller.role === "admin" ? Effect.void : Effect.fail(new Forbidden({ message: "Admins only" }))

    const get = Effect.fn("Payments.get")(function*(caller: Caller, id: PaymentId) {
      return paymentView(yield* visible(caller, id))
    })

    const list = Effect.fn("Payments.list")(function*(caller: Caller, query: { readonly limit?: number | undefined; readonly cursor?: string | undefined }) {
      return yield* keysetPage(query, (after, limit) => repo.list(caller.id, after, limit), paymentView, (row) => [row.createdAtKey, row.id])
    })

    const release = Effect.fn("Payments.release")(function*(caller: Caller, id: PaymentId) {
      yield* adminOnly(caller)
      const payment = yield* visible(caller, id)
      const released = yield* tx.withTransaction(Effect.gen(function*() {
        const row = yield* repo.release(id)
        if (Option.isSome(row) && row.value.payeeId !== null) {
          yield* notify([row.value.payeeId], "payment_released", `Payment of ${row.value.amount} CAD was released to you.`)
        }
        return row
      }))
      if (Option.isNone(released)) return yield* new InvalidTransition({ message: `A ${payment.status} payment cannot be released` })
      return paymentView(released.value)
    })

    const refund = Effect.fn("Payments.refund")(function*(caller: Caller, id: PaymentId, request: NewRefund) {
      yield* adminOnly(caller)
      const payment = yield* visible(caller, id)
      if (payment.status === "failed") return yield* new InvalidTransition({ message: "A failed payment has nothing to refund" })
      const row = yield* tx.withTransaction(repo.refund({ paymentId: id, amount: request.amount, reason: request.reason, by: caller.id }))
      return refundView(row)
    })

    const refunds = Effect.fn("Payments.refunds")(function*(caller: Caller, id: PaymentId) {
      yield* visible(caller, id)
      return (yield* repo.refunds(id)).map(refundView)
    })

    return { pay, get, list, release, refund, refunds }
  })
}) {
  static readonly layerNoDeps = Layer.effect(this, this.make)
  static readonly layer = this.layerNoDeps.pipe(Layer.provide([PaymentsRepo.layer, PaymentGateway.simulated, Notifier.layer, Transactions.layer]))
}
