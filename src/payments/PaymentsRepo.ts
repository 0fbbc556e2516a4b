import { Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { BookingId } from "../bookings/Api.ts"
import type { UserId } from "../domain/User.ts"
import * as Resolvers from "../infra/Resolvers.ts"
import { olderThan, violation } from "../infra/Sql.ts"
import type { OrderId } from "../orders/Api.ts"
import { AlreadyPaid, type PaymentId, type PaymentStatus, RefundExceedsPayment } from "./Api.ts"

export interface PaymentRow {
  readonly id: PaymentId
  readonly payerId: UserId
  readonly payeeId: UserId | null
  readonly bookingId: BookingId | null
  readonly orderId: OrderId | null
  readonly amount: string
  readonly refundedAmount: string
  readonly currency: string
  readonly status: PaymentStatus
  readonly gatewayRef: string | null
  readonly createdAt: Date
  readonly createdAtKey: string
  readonly updatedAt: Date
}

export interface RefundRow {
  readonly id: string
  readonly paymentId: PaymentId
  readonly amount: string
  readonly reason: string
  readonly createdAt: Date
}

/** What is being paid for, locked for the payment's transaction. */
export interface Subject {
  readonly payerId: UserId
  readonly payeeId: UserId | null
  readonly amount: string
  readonly status: string
}

const oneSubjectIndexes = new Set(["payments_one_per_booking", "payments_one_per_order"])

export class PaymentsRepo extends Context.Service<PaymentsRepo>()("maplehustle/payments/PaymentsRepo", {
  make: Effect.gen(function*() {
    const sql = yield* SqlClient
    const columns = sql`id, payer_id, payee_id, booking_id, order_id, amount::text AS amount,
      refunded_amount::text AS refunded_amount, currency::text AS currency, status, gateway_ref, created_at,
      created_at::text AS created_at_key, updated_at`

    /** Run in a transaction: the booking or order, locked so that its payments happen one at a time. */
    const lockSubject = Effect.fn("PaymentsRepo.lockSubject")(function*(subject: { readonly bookingId?: BookingId | undefined; readonly orderId?: OrderId | undefined }) {
      const rows = subject.bookingId !== undefined
        ? yield* sql<Subject>`
            SELECT client_id AS payer_id, provider_id AS payee_id, total_amount::text AS amount, status::text AS status
            FROM bookings WHERE id = ${subject.bookingId} FOR UPDATE`
        : yield* sql<Subject>`
            SELECT o.client_id AS payer_id, total_amount::text AS amount, status::text AS status,
                   (SELECT CASE WHEN count(DISTINCT seller_id) = 1 THEN min(seller_id::text)::uuid END
                    FROM order_items WHERE order_id = o.id) AS payee_id
            FROM orders o WHERE o.id = ${subject.orderId!} FOR UPDATE`
      return Option.fromNullishOr(rows[0])
    }, Effect.orDie)

    /** Run in a transaction: a captured (held) or failed payment. A second success is `AlreadyPaid` (unique index). */
    const insert = (payment: {
      readonly payerId: UserId
      readonly payeeId: UserId | null
      readonly bookingId: BookingId | null
      readonly orderId: OrderId | null
      readonly amount: string
      readonly status: "held" | "failed"
      readonly gatewayRef: string | null
      readonly failureReason: string | null
    }) =>
      sql<PaymentRow>`INSERT INTO payments ${sql.insert({ ...payment })} RETURNING ${columns}`.pipe(
        Effect.map((rows) => rows[0]!),
        Effect.catch((error) =>
          oneSubjectIndexes.has(violation(error).constraint ?? "")
            ? Effect.fail(new AlreadyPaid({ message: "This has already been paid" }))
            : Effect.die(error)
        ),
        Effect.withSpan("PaymentsRepo.insert")
      )

    const hasSucceeded = Effect.fn("PaymentsRepo.hasSucceeded")(function*(subject: { readonly bookingId: BookingId | null; readonly orderId: OrderId | null }) {
      const rows = yield* sql`
        SELECT 1 FROM payments WHERE status <> 'failed'
          AND ${subject.bookingId !== null ? sql`booking_id = ${subject.bookingId}` : sql`order_id = ${subject.orderId}`}`
      return rows.length > 0
    }, Effect.orDie)

    /** An order's captured payment with money still on it, and how much is left to refund. */
    const refundableOf = Effect.fn("PaymentsRepo.refundableOf")(function*(subject: { readonly orderId: OrderId }) {
      const rows = yield* sql<{ id: PaymentId; left: string }>`
        SELECT id, (amount - refunded_amount)::text AS left FROM payments
        WHERE order_id = ${subject.orderId} AND status IN ('held', 'partially_refunded') AND refunded_amount < amount`
      return Option.fromNullishOr(rows[0])
    }, Effect.orDie)

    const markOrderPaid = Effect.fn("PaymentsRepo.markOrderPaid")(function*(orderId: OrderId) {
      yield* sql`UPDATE orders SET status = 'paid', paid_at = now() WHERE id = ${orderId} AND status = 'pending'`
    }, Effect.orDie)

    const findById = Resolvers.byId<PaymentId, PaymentRow>("PaymentsRepo.byId", {
      id: (row) => row.id,
      execute: (ids) => sql<PaymentRow>`SELECT ${columns} FROM payments WHERE id = ANY(${ids}::uuid[])`
    })

    /** Every payment attempt of an order, oldest first. */
    const byOrder = Resolvers.byParent<OrderId, PaymentRow & { readonly orderId: OrderId }>("PaymentsRepo.byOrder", {
      parent: (row) => row.orderId,
      execute: (ids) => sql<PaymentRow & { readonly orderId: OrderId }>`
        SELECT ${columns} FROM payments WHERE order_id = ANY(${ids}::uuid[]) ORDER BY order_id, created_at, id`
    })

    const list = Effect.fn("PaymentsRepo.list")(function*(userId: UserId, after: Option.Option<readonly [string, string]>, limit: number) {
      return yield* sql<PaymentRow>`
        SELECT ${columns} FROM payments p
        WHERE (p.payer_id = ${userId} OR p.payee_id = ${userId}) AND ${olderThan(sql, "p", after)}
        ORDER BY p.created_at DESC, p.id DESC LIMIT ${limit + 1}`
    }, Effect.orDie)

    const release = Effect.fn("PaymentsRepo.release")(function*(id: PaymentId) {
      const rows = yield* sql<PaymentRow>`
        UPDATE payments SET status = 'released', released_at = now() WHERE id = ${id} AND status = 'held' RETURNING ${columns}`
      return Option.fromNullishOr(rows[0])
    }, Effect.orDie)

    /**
     * Run in a transaction: the refund (its trigger adds it to the payment's
     * refunded amount, which a CHECK bounds by the amount) and the payment's
     * new status. The payment row is locked first, so racing refunds take
     * turns and each sees what the one before left.
     */
    const refund = Effect.fn("PaymentsRepo.refund")(
      function*(refund: { readonly paymentId: PaymentId; readonly amount: string; readonly reason: string; readonly by: UserId }) {
        const [payment] = yield* sql<{ left: string; exceeds: boolean }>`
          SELECT (amount - refunded_amount)::text AS left, ${refund.amount}::numeric > amount - refunded_amount AS exceeds
          FROM payments WHERE id = ${refund.paymentId} FOR UPDATE`
        if (payment === undefined || payment.exceeds) {
          return yield* new RefundExceedsPayment({
            message: "Refunds cannot add up to more than the payment",
            refundable: payment?.left ?? "0.00"
          })
        }
        const [row] = yield* sql<RefundRow>`
          INSERT INTO refunds (payment_id, amount, reason, created_by)
          VALUES (${refund.paymentId}, ${refund.amount}, ${refund.reason}, ${refund.by})
          RETURNING id, payment_id, amount::text AS amount, reason, created_at`
        yield* sql`
          UPDATE payments SET status = CASE WHEN refunded_amount = amount THEN 'refunded'::payment_status
                                            ELSE 'partially_refunded'::payment_status END
          WHERE id = ${refund.paymentId}`
        return row!
      },
      Effect.catchTag("SqlError", Effect.die)
    )

    const refunds = Effect.fn("PaymentsRepo.refunds")(function*(paymentId: PaymentId) {
      return yield* sql<RefundRow>`
        SELECT id, payment_id, amount::text AS amount, reason, created_at FROM refunds WHERE payment_id = ${paymentId}
        ORDER BY created_at, id`
    }, Effect.orDie)

    return { lockSubject, insert, hasSucceeded, refundableOf, markOrderPaid, findById, byOrder, list, release, refund, refunds }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}
