/**
 * Orders of handmade items: stock is reserved by one conditional UPDATE per
 * line, in item order, inside the transaction that writes the order, so an
 * order either gets every line or changes nothing, and two orders never
 * oversell an item or deadlock over two. Prices and tax come from the
 * database; transitions are conditional updates on the state the caller saw.
 */
import { Context, Effect, Layer, Option } from "effect"
import { Forbidden, InvalidTransition, NotFound } from "../domain/Errors.ts"
import { keysetPage } from "../domain/Page.ts"
import type { UserId } from "../domain/User.ts"
import { Transactions } from "../infra/Sql.ts"
import { Notifier } from "../notifications/Notifier.ts"
import { PaymentsRepo } from "../payments/PaymentsRepo.ts"
import type { Caller } from "../users/Authentication.ts"
import { InsufficientStock, type NewOrder, type OrderId, type OrderStatus, type OrderView } from "./Api.ts"
import { type OrderRow, OrdersRepo, type ReservedLine } from "./OrdersRepo.ts"

export const orderView = (row: OrderRow): OrderView => ({
  id: row.id,
  client_id: row.clientId,
  status: row.status,
  items: row.lines.map(({ seller_id: _, ...line }) => line),
  subtotal: row.subtotal,
  tax_amount: row.taxAmount,
  platform_fee: row.platformFee,
  total_amount: row.totalAmount,
  currency: row.currency,
  shipping_address: row.shippingAddress,
  shipments: row.shipments,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString()
})

const sellersOf = (row: OrderRow) => [...new Set(row.lines.map((line) => line.seller_id as UserId))]

export class Orders extends Context.Service<Orders>()("maplehustle/orders/Orders", {
  make: Effect.gen(function*() {
    const repo = yield* OrdersRepo
    const payments = yield* PaymentsRepo
    const tx = yield* Transactions
    const notFound = (id: OrderId) => new NotFound({ message: `No order ${id}` })

    const notifier = yield* Notifier
    const notify = (recipients: ReadonlyArray<UserId>, content: string) => notifier.notify(recipients, "order_update", content)

    const loaded = (id: OrderId) => Effect.flatMap(repo.findById(id), (row) => Option.isSome(row) ? Effect.succeed(row.value) : Effect.die(`order ${id} vanished`))

    const create = Effect.fn("Orders.create")(function*(caller: Caller, order: NewOrder) {
      if (caller.role !== "client") return yield* new Forbidden({ message: "Only clients place orders" })
      const row = yield* tx.withTransaction(Effect.gen(function*() {
        const lines: Array<ReservedLine> = []
        // Item order: concurrent orders lock shared items in the same order.
        for (const line of [...order.items].sort((a, b) => a.item_id.localeCompare(b.item_id))) {
          const reserved = yield* repo.reserve(line.item_id, line.quantity)
          if (Option.isSome(reserved)) {
            lines.push(reserved.value)
            continue
          }
          const left = yield* repo.available(line.item_id)
          if (Option.isNone(left)) return yield* new NotFound({ message: `No item ${line.item_id}` })
          return yield* new InsufficientStock({
            message: `Only ${left.value} of item ${line.item_id} left`,
            item_id: line.item_id,
            available: left.value
          })
        }
        const id = yield* repo.insert({ clientId: caller.id, address: order.shipping_address, lines })
        const row = yield* loaded(id)
        yield* notify(sellersOf(row), `New order ${id}: ${lines.map((l) => `${l.quantity} × ${l.name}`).join(", ")}.`)
        return row
      }))
      return orderView(row)
    })

    /** An order the caller may see: its client, a seller of one of its items, or an admin. */
    const visible = (caller: Caller, id: OrderId) =>
      Effect.gen(function*() {
        const row = yield* repo.findById(id)
        if (Option.isNone(row)) return yield* notFound(id)
        const order = row.value
        const isClient = order.clientId === caller.id
        const isSeller = sellersOf(order).includes(caller.id)
        if (!isClient && !isSeller && caller.role !== "admin") return yield* notFound(id)
        return { order, isClient, isSeller }
      })

    const get = Effect.fn("Orders.get")(function*(caller: Caller, id: OrderId) {
      return orderView((yield* visible(caller, id)).order)
    })

    const list = Effect.fn("Orders.list")(function*(caller: Caller, query: {
      readonly status?: OrderStatus | undefined
      readonly limit?: number | undefined
      readonly cursor?: string | undefined
    }) {
      return yield* keysetPage(
        query,
        (after, limit) => repo.list({ clientId: caller.id, status: query.status, after, limit }),
        orderView,
        (row) => [row.createdAtKey, row.id]
      )
    })

    /**
     * A state change in one transaction: `change` is the conditional update
     * (false when the order was no longer in the state the caller saw), then
     * its effects; the loser of a race hears which state it found (409).
     */
    const transition = (id: OrderId, to: string, change: Effect.Effect<boolean>, effects: Effect.Effect<void>) =>
      Effect.gen(function*() {
        const row = yield* tx.withTransaction(Effect.gen(function*() {
          if (!(yield* change)) return Option.none()
          yield* effects
          return Option.some(yield* loaded(id))
        }))
        if (Option.isNone(row)) return yield* invalid((yield* loaded(id)).status, to)
        return orderView(row.value)
      })

    const invalid = (status: OrderStatus, to: string) => new InvalidTransition({ message: `A ${status} order cannot be ${to}` })

    const cancel = Effect.fn("Orders.cancel")(function*(caller: Caller, id: OrderId) {
      const { order, isClient } = yield* visible(caller, id)
      if (!isClient) return yield* new Forbidden({ message: "Only the order's client cancels it" })
      if (order.status !== "pending" && order.status !== "paid") return yield* invalid(order.status, "canceled")
      return yield* transition(id, "canceled", repo.cancel(id, order.status), Effect.gen(function*() {
        // A paid order's payment goes back in full, in the same transaction.
        const payment = yield* payments.refundableOf({ orderId: id })
        if (Option.isSome(payment)) {
          yield* Effect.orDie(payments.refund({
            paymentId: payment.value.id,
            amount: payment.value.left,
            reason: "Order canceled by the client",
            by: caller.id
          }))
        }
        yield* notify(sellersOf(order), `Order ${id} was canceled by the client.`)
      }))
    })

    const ship = Effect.fn("Orders.ship")(function*(caller: Caller, id: OrderId, carrier: string, trackingNumber: string) {
      const { order, isSeller } = yield* visible(caller, id)
      if (!isSeller) return yield* new Forbidden({ message: "Only a seller of the order ships it" })
      return yield* transition(
        id,
        "shipped",
        repo.ship(id, caller.id, carrier, trackingNumber),
        notify([order.clientId], `Order ${id} has shipped with ${carrier}, tracking ${trackingNumber}.`)
      )
    })

    const deliver = Effect.fn("Orders.deliver")(function*(caller: Caller, id: OrderId) {
      const { order, isSeller } = yield* visible(caller, id)
      if (!isSeller && caller.role !== "admin") return yield* new Forbidden({ message: "Only a seller or an admin marks an order delivered" })
      return yield* transition(id, "delivered", repo.deliver(id), notify([order.clientId], `Order ${id} was delivered.`))
    })

    return { create, get, list, cancel, ship, deliver }
  })
}) {
  static readonly layerNoDeps = Layer.effect(this, this.make)
  static readonly layer = this.layerNoDeps.pipe(Layer.provide([OrdersRepo.layer, PaymentsRepo.layer, Notifier.layer, Transactions.layer]))
}
