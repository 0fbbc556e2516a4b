import { Context, Effect, Layer, Option, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { UserId } from "../domain/User.ts"
import { OVERVIEW_LIMIT } from "../domain/Page.ts"
import * as Resolvers from "../infra/Resolvers.ts"
import { olderThan } from "../infra/Sql.ts"
import type { ItemId } from "../items/Api.ts"
import { type OrderId, type OrderStatus, ShippingAddress } from "./Api.ts"

const addressJson = Schema.encodeSync(Schema.fromJsonString(ShippingAddress))

export interface OrderRow {
  readonly id: OrderId
  readonly clientId: UserId
  readonly status: OrderStatus
  readonly subtotal: string
  readonly taxAmount: string
  readonly platformFee: string
  readonly totalAmount: string
  readonly currency: string
  readonly shippingAddress: ShippingAddress
  readonly createdAt: Date
  readonly createdAtKey: string
  readonly updatedAt: Date
  readonly lines: ReadonlyArray<{ item_id: string; name: string; quantity: number; unit_price: string; line_total: string; seller_id: string }>
  readonly shipments: ReadonlyArray<{
    id: string
    seller_id: string
    carrier: string
    tracking_number: string
    shipped_at: string
    delivered_at: string | null
  }>
}

export interface ReservedLine {
  readonly itemId: ItemId
  readonly sellerId: UserId
  readonly name: string
  readonly unitPrice: string
  readonly quantity: number
}

export class OrdersRepo extends Context.Service<OrdersRepo>()("maplehustle/orders/OrdersRepo", {
  make: Effect.gen(function*() {
    const sql = yield* SqlClient

    // JSON keys stay as written (`transformJson` is off); timestamps as RFC 3339 text in UTC.
    const columns = sql`
      o.id, o.client_id, o.status, o.subtotal::text AS subtotal, o.tax_amount::text AS tax_amount,
      o.platform_fee::text AS platform_fee, o.total_amount::text AS total_amount, o.currency::text AS currency,
      o.shipping_address, o.created_at, o.created_at::text AS created_at_key, o.updated_at,
      COALESCE((SELECT json_agg(json_build_object('item_id', l.item_id, 'name', l.name, 'quantity', l.quantity,
                  'unit_price', l.unit_price::text, 'line_total', l.line_total::text, 'seller_id', l.seller_id) ORDER BY l.item_id)
                FROM order_items l WHERE l.order_id = o.id), '[]') AS lines,
      COALESCE((SELECT json_agg(json_build_object('id', sh.id, 'seller_id', sh.seller_id, 'carrier', sh.carrier,
                  'tracking_number', sh.tracking_number,
                  'shipped_at', to_char(sh.shipped_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                  'delivered_at', to_char(sh.delivered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY sh.shipped_at, sh.id)
                FROM shipments sh WHERE sh.order_id = o.id), '[]') AS shipments`

    /**
     * Run in a transaction, lines in item order (so two orders lock shared
     * items in the same order and cannot deadlock): takes `quantity` from a
     * live item's stock only if that much is left. `None`: not enough.
     */
    const reserve = Effect.fn("OrdersRepo.reserve")(function*(itemId: ItemId, quantity: number) {
      const rows = yield* sql<ReservedLine>`
        UPDATE items SET inventory_quantity = inventory_quantity - ${quantity}
        WHERE id = ${itemId} AND deleted_at IS NULL AND inventory_quantity >= ${quantity}
        RETURNING id AS item_id, provider_id AS seller_id, name, price::text AS unit_price, ${quantity}::int AS quantity`
      return Option.fromNullishOr(rows[0])
    }, Effect.orDie)

    /** What is left of a live item, to explain a failed reservation; `None`: no such item. */
    const available = Effect.fn("OrdersRepo.available")(function*(itemId: ItemId) {
      const rows = yield* sql<{ inventoryQuantity: number }>`
        SELECT inventory_quantity FROM items WHERE id = ${itemId} AND deleted_at IS NULL`
      return Option.map(Option.fromNullishOr(rows[0]), (row) => row.inventoryQuantity)
    }, Effect.orDie)

    /**
     * Run in a transaction after `reserve`: the order and its lines. Line
     * totals and the subtotal are exact numerics; tax is the subtotal × the
     * province's rate in force, fee 5 %, both rounded half-up to the cent.
     */
    const insert = Effect.fn("OrdersRepo.insert")(function*(order: {
      readonly clientId: UserId
      readonly address: ShippingAddress
      readonly lines: ReadonlyArray<ReservedLine>
    }) {
      const [inserted] = yield* sql<{ id: OrderId }>`
        WITH lines AS (
          SELECT sum(quantity * unit_price) AS subtotal
          FROM unnest(${order.lines.map((l) => l.quantity)}::int[], ${order.lines.map((l) => l.unitPrice)}::numeric[]) AS l(quantity, unit_price)
        ), rate AS (
          SELECT total FROM tax_rules WHERE province_code = ${order.address.province_code} AND effective_from <= current_date
          ORDER BY effective_from DESC LIMIT 1
        )
        INSERT INTO orders (client_id, subtotal, tax_amount, platform_fee, total_amount, shipping_address, shipping_province_code)
        SELECT ${order.clientId}, lines.subtotal, round(lines.subtotal * rate.total, 2), round(lines.subtotal * 0.05, 2),
               lines.subtotal + round(lines.subtotal * rate.total, 2), ${addressJson(order.address)}::jsonb, ${order.address.province_code}
        FROM lines, rate
        RETURNING id`
      yield* sql`
        INSERT INTO order_items (order_id, item_id, seller_id, name, quantity, unit_price, line_total)
        SELECT ${inserted!.id}, item_id, seller_id, name, quantity, unit_price, quantity * unit_price
        FROM unnest(${order.lines.map((l) => l.itemId)}::uuid[], ${order.lines.map((l) => l.sellerId)}::uuid[],
                    ${order.lines.map((l) => l.name)}::text[], ${order.lines.map((l) => l.quantity)}::int[],
                    ${order.lines.map((l) => l.unitPrice)}::numeric[]) AS l(item_id, seller_id, name, quantity, unit_price)`
      return inserted!.id
    }, Effect.orDie)

    const findById = Resolvers.byId<OrderId, OrderRow>("OrdersRepo.byId", {
      id: (row) => row.id,
      execute: (ids) => sql<OrderRow>`SELECT ${columns} FROM orders o WHERE o.id = ANY(${ids}::uuid[])`
    })

    /** The latest `limit` orders of each client, newest first, with their lines and shipments. */
    const byClient = Resolvers.byParent<UserId, OrderRow>("OrdersRepo.byClient", {
      parent: (row) => row.clientId,
      execute: (ids) => sql<OrderRow>`
        SELECT ${columns}
        FROM unnest(${ids}::uuid[]) AS p(client_id)
        CROSS JOIN LATERAL (
          SELECT * FROM orders x WHERE x.client_id = p.client_id
          ORDER BY x.created_at DESC, x.id DESC LIMIT ${OVERVIEW_LIMIT}
        ) o
        ORDER BY p.client_id, o.created_at DESC, o.id DESC`
    })

    const list = Effect.fn("OrdersRepo.list")(function*(filter: {
      readonly clientId: UserId
      readonly status?: OrderStatus | undefined
      readonly after: Option.Option<readonly [string, string]>
      readonly limit: number
    }) {
      return yield* sql<OrderRow>`
        SELECT ${columns} FROM orders o
        WHERE o.client_id = ${filter.clientId}
          AND ${filter.status === undefined ? sql`true` : sql`o.status = ${filter.status}`}
          AND ${olderThan(sql, "o", filter.after)}
        ORDER BY o.created_at DESC, o.id DESC
        LIMIT ${filter.limit + 1}`
    }, Effect.orDie)

    /**
     * Cancels an order still in `from` (a paid one becomes `refunded`), and
     * gives its stock back in the same statement; `stock_restored_at` makes
     * the give-back happen at most once.
     */
    const cancel = Effect.fn("OrdersRepo.cancel")(function*(id: OrderId, from: OrderStatus) {
      const rows = yield* sql<{ id: OrderId }>`
        WITH canceled AS (
          UPDATE orders SET status = CASE WHEN status = 'paid' THEN 'refunded'::order_status ELSE 'canceled'::order_status END,
                            canceled_at = now(), stock_restored_at = now()
          WHERE id = ${id} AND status = ${from} AND stock_restored_at IS NULL
          RETURNING id
        ), restocked AS (
          UPDATE items i SET inventory_quantity = i.inventory_quantity + l.quantity
          FROM order_items l JOIN canceled c ON c.id = l.order_id
          WHERE i.id = l.item_id
        )
        SELECT id FROM canceled`
      return rows.length > 0
    }, Effect.orDie)

    /** A seller's shipment of a paid order: the order becomes shipped. */
    const ship = Effect.fn("OrdersRepo.ship")(function*(id: OrderId, sellerId: UserId, carrier: string, trackingNumber: string) {
      const rows = yield* sql<{ id: OrderId }>`
        WITH shipped AS (
          UPDATE orders SET status = 'shipped', shipped_at = now() WHERE id = ${id} AND status = 'paid' RETURNING id
        )
        INSERT INTO shipments (order_id, seller_id, carrier, tracking_number)
        SELECT id, ${sellerId}, ${carrier}, ${trackingNumber} FROM shipped
        RETURNING order_id AS id`
      return rows.length > 0
    }, Effect.orDie)

    const deliver = Effect.fn("OrdersRepo.deliver")(function*(id: OrderId) {
      const rows = yield* sql<{ id: OrderId }>`
        WITH delivered AS (
          UPDATE orders SET status = 'delivered', delivered_at = now() WHERE id = ${id} AND status = 'shipped' RETURNING id
        ), shipments_done AS (
          UPDATE shipments SET delivered_at = now() WHERE order_id IN (SELECT id FROM delivered) AND delivered_at IS NULL
        )
        SELECT id FROM delivered`
      return rows.length > 0
    }, Effect.orDie)

    return { reserve, available, insert, findById, byClient, list, cancel, ship, deliver }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}
