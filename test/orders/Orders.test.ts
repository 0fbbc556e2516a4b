/**
 * `/orders` through the real routes: server pricing and tax, stock reserved
 * all-or-nothing (and never oversold by 20 racing orders), who sees an order,
 * cancel giving stock back once, ship and deliver.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql/SqlClient"
import { send, userWithToken } from "../utils/Http.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TestApp, TestRedis } from "../utils/TestInfra.ts"

const post = (path: string, body: unknown = {}) => HttpClientRequest.post(path).pipe(HttpClientRequest.bodyJsonUnsafe(body))
const get = (path: string) => HttpClientRequest.get(path)
const address = { line1: " 24 Sussex Dr ", city: "Ottawa", province_code: "on", postal_code: "k1m 1m4" }

const item = (providerId: string, price: string, stock: number) =>
  SqlClient.use((sql) =>
    sql<{ id: string }>`INSERT INTO items (provider_id, name, price, inventory_quantity)
      VALUES (${providerId}, 'Maple syrup', ${price}, ${stock}) RETURNING id`
  ).pipe(Effect.map((rows) => rows[0]!.id), Effect.orDie)

const stock = (id: string) =>
  SqlClient.use((sql) => sql<{ n: number }>`SELECT inventory_quantity AS n FROM items WHERE id = ${id}`).pipe(
    Effect.map((rows) => rows[0]!.n),
    Effect.orDie
  )

describe("orders", () => {
  it.layer(TestApp.pipe(Layer.provideMerge(Layer.mergeAll(TestDatabase(), TestRedis()))), {
    timeout: "60 seconds",
    excludeTestServices: true
  })("routes", (it) => {
    it.effect("prices, tax (half-up) and fee come from the server; stock is taken; sellers are notified", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const client = yield* userWithToken("client")
        const seller = yield* userWithToken("provider")
        const other = yield* userWithToken("provider")
        const syrup = yield* item(seller.id, "30.00", 10)
        const candle = yield* item(other.id, "12.50", 3)
        const created = yield* send(client.as(post("/orders", {
          items: [{ item_id: syrup, quantity: 2 }, { item_id: candle, quantity: 1 }],
          shipping_address: address
        })))
        assert.strictEqual(created.status, 201)
        // 72.50 × 13 % = 9.425 → 9.43; 5 % fee = 3.625 → 3.63 (of the subtotal, not added to the total).
        assert.deepStrictEqual(
          [created.body.status, created.body.subtotal, created.body.tax_amount, created.body.platform_fee, created.body.total_amount, created.body.currency],
          ["pending", "72.50", "9.43", "3.63", "81.93", "CAD"]
        )
        assert.deepStrictEqual(
          created.body.items.find((l: { item_id: string }) => l.item_id === syrup),
          { item_id: syrup, name: "Maple syrup", quantity: 2, unit_price: "30.00", line_total: "60.00" }
        )
        assert.deepStrictEqual(created.body.shipping_address, { line1: "24 Sussex Dr", city: "Ottawa", province_code: "ON", postal_code: "K1M1M4" })
        assert.deepStrictEqual(created.body.shipments, [])
        assert.deepStrictEqual([yield* stock(syrup), yield* stock(candle)], [8, 2])
        const notified = yield* sql<{ userId: string }>`SELECT user_id FROM notifications WHERE type = 'order_update' AND user_id IN (${seller.id}, ${other.id})`
        assert.sameMembers(notified.map((n) => n.userId), [seller.id, other.id])
      }))

    it.effect("a short line → 409 InsufficientStock naming it, and nothing is reserved; bad orders 400/403/404", () =>
      Effect.gen(function*() {
        const client = yield* userWithToken("client")
        const seller = yield* userWithToken("provider")
        const plenty = yield* item(seller.id, "5.00", 10)
        const scarce = yield* item(seller.id, "9.00", 1)
        const short = yield* send(client.as(post("/orders", {
          items: [{ item_id: plenty, quantity: 4 }, { item_id: scarce, quantity: 2 }],
          shipping_address: address
        })))
        assert.deepStrictEqual([short.status, short.body._tag, short.body.item_id, short.body.available], [409, "InsufficientStock", scarce, 1])
        assert.deepStrictEqual([yield* stock(plenty), yield* stock(scarce)], [10, 1])
        const missing = yield* send(client.as(post("/orders", { items: [{ item_id: crypto.randomUUID(), quantity: 1 }], shipping_address: address })))
        assert.strictEqual(missing.status, 404)
        assert.strictEqual((yield* send(seller.as(post("/orders", { items: [{ item_id: plenty, quantity: 1 }], shipping_address: address })))).status, 403)
        const invalid = yield* send(client.as(post("/orders", {
          items: [{ item_id: plenty, quantity: 0 }],
          shipping_address: { ...address, postal_code: "12345", province_code: "XX" }
        })))
        assert.strictEqual(invalid.status, 400)
        assert.sameMembers(invalid.body.issues.map((i: { path: Array<string | number> }) => i.path.join(".")), [
          "items.0.quantity", "shipping_address.postal_code", "shipping_address.province_code"
        ])
        const twice = yield* send(client.as(post("/orders", {
          items: [{ item_id: plenty, quantity: 1 }, { item_id: plenty, quantity: 2 }], shipping_address: address
        })))
        assert.strictEqual(twice.status, 400)
        assert.strictEqual((yield* send(client.as(post("/orders", { items: [], shipping_address: address })))).status, 400)
      }))

    it.effect("20 orders racing for 5 in stock: exactly 5 succeed, the stock ends at 0", () =>
      Effect.gen(function*() {
        const seller = yield* userWithToken("provider")
        const scarce = yield* item(seller.id, "20.00", 5)
        const clients = yield* Effect.forEach(Array.from({ length: 20 }), () => userWithToken("client"))
        const results = yield* Effect.forEach(
          clients,
          (client) => send(client.as(post("/orders", { items: [{ item_id: scarce, quantity: 1 }], shipping_address: address }))),
          { concurrency: "unbounded" }
        )
        assert.deepStrictEqual(results.map((r) => r.status).sort(), [...Array(5).fill(201), ...Array(15).fill(409)])
        assert.strictEqual(yield* stock(scarce), 0)
      }))

    it.effect("the client, a seller and admins see an order; others 404; the list is the client's", () =>
      Effect.gen(function*() {
        const client = yield* userWithToken("client")
        const seller = yield* userWithToken("provider")
        const admin = yield* userWithToken("admin")
        const stranger = yield* userWithToken("client")
        const syrup = yield* item(seller.id, "30.00", 10)
        const order = (yield* send(client.as(post("/orders", { items: [{ item_id: syrup, quantity: 1 }], shipping_address: address })))).body
        for (const viewer of [client, seller, admin]) {
          assert.strictEqual((yield* send(viewer.as(get(`/orders/${order.id}`)))).body.id, order.id)
        }
        assert.strictEqual((yield* send(stranger.as(get(`/orders/${order.id}`)))).status, 404)
        assert.deepStrictEqual((yield* send(client.as(get("/orders")))).body.items.map((o: { id: string }) => o.id), [order.id])
        assert.deepStrictEqual((yield* send(stranger.as(get("/orders")))).body.items, [])
        assert.strictEqual((yield* send(client.as(get("/orders?status=shipped")))).body.items.length, 0)
      }))

    it.effect("cancel gives the stock back exactly once; ship needs a paid order and a seller; deliver by admin", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const client = yield* userWithToken("client")
        const seller = yield* userWithToken("provider")
        const admin = yield* userWithToken("admin")
        const syrup = yield* item(seller.id, "30.00", 10)
        const order = (yield* send(client.as(post("/orders", { items: [{ item_id: syrup, quantity: 3 }], shipping_address: address })))).body
        assert.strictEqual((yield* send(seller.as(post(`/orders/${order.id}/cancel`)))).status, 403)
        const [first, second] = yield* Effect.all([
          send(client.as(post(`/orders/${order.id}/cancel`))),
          send(client.as(post(`/orders/${order.id}/cancel`)))
        ], { concurrency: "unbounded" })
        assert.deepStrictEqual([first.status, second.status].sort(), [200, 409])
        assert.strictEqual(yield* stock(syrup), 10, "three back, once")

        const paid = (yield* send(client.as(post("/orders", { items: [{ item_id: syrup, quantity: 1 }], shipping_address: address })))).body
        assert.strictEqual((yield* send(seller.as(post(`/orders/${paid.id}/ship`, { carrier: "Canada Post", tracking_number: "CP1" })))).status, 409)
        yield* sql`UPDATE orders SET status = 'paid', paid_at = now() WHERE id = ${paid.id}`
        assert.strictEqual((yield* send(client.as(post(`/orders/${paid.id}/ship`, { carrier: "Canada Post", tracking_number: "CP1" })))).status, 403)
        const shipped = yield* send(seller.as(post(`/orders/${paid.id}/ship`, { carrier: " Canada Post ", tracking_number: "CP1" })))
        assert.deepStrictEqual([shipped.status, shipped.body.status, shipped.body.shipments.length], [200, "shipped", 1])
        assert.deepStrictEqual([shipped.body.shipments[0].carrier, shipped.body.shipments[0].seller_id, shipped.body.shipments[0].delivered_at], ["Canada Post", seller.id, null])
        assert.strictEqual((yield* send(client.as(post(`/orders/${paid.id}/cancel`)))).status, 409)
        const delivered = yield* send(admin.as(post(`/orders/${paid.id}/deliver`)))
        assert.deepStrictEqual([delivered.status, delivered.body.status], [200, "delivered"])
        assert.match(delivered.body.shipments[0].delivered_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
        assert.strictEqual((yield* send(admin.as(post(`/orders/${paid.id}/deliver`)))).status, 409)
      }))

    it.effect("Idempotency-Key: the same order twice is placed once", () =>
      Effect.gen(function*() {
        const client = yield* userWithToken("client")
        const seller = yield* userWithToken("provider")
        const syrup = yield* item(seller.id, "30.00", 10)
        const place = send(client.as(post("/orders", { items: [{ item_id: syrup, quantity: 2 }], shipping_address: address })).pipe(
          HttpClientRequest.setHeader("idempotency-key", "order-1")
        ))
        const [a, b] = yield* Effect.all([place, place], { concurrency: "unbounded" })
        assert.deepStrictEqual([a.status, b.status, a.text === b.text], [201, 201, true])
        assert.strictEqual(yield* stock(syrup), 8)
      }))
  })
})
