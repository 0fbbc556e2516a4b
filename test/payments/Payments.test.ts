/**
 * `/payments` through the real routes: amounts from the subject, one success
 * per booking or order (also under racing and idempotent retries), declines,
 * escrow release, refunds that never exceed the payment.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql/SqlClient"
import { insertBooking, insertService } from "../utils/fixtures.ts"
import { send, userWithToken } from "../utils/Http.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TestApp, TestRedis } from "../utils/TestInfra.ts"

const post = (path: string, body: unknown = {}) => HttpClientRequest.post(path).pipe(HttpClientRequest.bodyJsonUnsafe(body))
const get = (path: string) => HttpClientRequest.get(path)

const booked = Effect.gen(function*() {
  const client = yield* userWithToken("client")
  const provider = yield* userWithToken("provider")
  const serviceId = yield* insertService(provider.id)
  const bookingId = yield* insertBooking({
    clientId: client.id, providerId: provider.id, serviceId, start: "2030-01-01T10:00:00Z", end: "2030-01-01T12:00:00Z"
  })
  return { client, provider, bookingId }
})

describe("payments", () => {
  it.layer(TestApp.pipe(Layer.provideMerge(Layer.mergeAll(TestDatabase(), TestRedis()))), {
    timeout: "60 seconds",
    excludeTestServices: true
  })("routes", (it) => {
    it.effect("a client pays a booking's total into escrow, once; declines 402 and are recorded; strangers 404", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const { client, provider, bookingId } = yield* booked
        const stranger = yield* userWithToken("client")
        assert.strictEqual((yield* send(stranger.as(post("/payments", { booking_id: bookingId, payment_token: "tok_visa" })))).status, 404)
        const declined = yield* send(client.as(post("/payments", { booking_id: bookingId, payment_token: "tok_decline" })))
        assert.deepStrictEqual([declined.status, declined.body._tag], [402, "PaymentDeclined"])
        const paid = yield* send(client.as(post("/payments", { booking_id: bookingId, payment_token: "tok_visa" })))
        assert.deepStrictEqual(
          [paid.status, paid.body.amount, paid.body.status, paid.body.payer_id, paid.body.payee_id, paid.body.refunded_amount],
          [201, "50.00", "held", client.id, provider.id, "0.00"]
        )
        assert.match(paid.body.gateway_ref, /^sim_[0-9a-f]{24}$/)
        const twice = yield* send(client.as(post("/payments", { booking_id: bookingId, payment_token: "tok_visa" })))
        assert.deepStrictEqual([twice.status, twice.body._tag], [409, "AlreadyPaid"])
        const statuses = yield* sql<{ status: string }>`SELECT status FROM payments WHERE booking_id = ${bookingId} ORDER BY created_at`
        assert.deepStrictEqual(statuses.map((s) => s.status), ["failed", "held"])
        const notified = yield* sql`SELECT 1 FROM notifications WHERE user_id = ${provider.id} AND type = 'payment_received'`
        assert.strictEqual(notified.length, 1)
        for (const viewer of [client, provider]) {
          assert.strictEqual((yield* send(viewer.as(get(`/payments/${paid.body.id}`)))).body.id, paid.body.id)
          assert.include((yield* send(viewer.as(get("/payments")))).body.items.map((p: { id: string }) => p.id), paid.body.id)
        }
        assert.strictEqual((yield* send(stranger.as(get(`/payments/${paid.body.id}`)))).status, 404)
        const both = yield* send(client.as(post("/payments", { booking_id: bookingId, order_id: crypto.randomUUID(), payment_token: "t" })))
        assert.strictEqual(both.status, 400)
      }))

    it.effect("paying an order makes it paid, canceling it then refunds the payment in full; a canceled booking cannot be paid", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const client = yield* userWithToken("client")
        const seller = yield* userWithToken("provider")
        const [item] = yield* sql<{ id: string }>`INSERT INTO items (provider_id, name, price, inventory_quantity) VALUES (${seller.id}, 'Mug', 20.00, 5) RETURNING id`
        const order = (yield* send(client.as(post("/orders", {
          items: [{ item_id: item!.id, quantity: 2 }],
          shipping_address: { line1: "1 Main St", city: "Calgary", province_code: "AB", postal_code: "T2P 1J9" }
        })))).body
        const paid = yield* send(client.as(post("/payments", { order_id: order.id, payment_token: "tok_visa" })))
        assert.deepStrictEqual([paid.status, paid.body.amount, paid.body.payee_id], [201, "42.00", seller.id])
        assert.strictEqual((yield* send(client.as(get(`/orders/${order.id}`)))).body.status, "paid")
        const canceledOrder = yield* send(client.as(post(`/orders/${order.id}/cancel`)))
        assert.deepStrictEqual([canceledOrder.status, canceledOrder.body.status], [200, "refunded"])
        const refunded = (yield* send(client.as(get(`/payments/${paid.body.id}`)))).body
        assert.deepStrictEqual([refunded.status, refunded.refunded_amount], ["refunded", "42.00"])
        const [stock] = yield* sql<{ n: number }>`SELECT inventory_quantity AS n FROM items WHERE id = ${item!.id}`
        assert.strictEqual(stock!.n, 5)
        const { client: other, bookingId } = yield* booked
        yield* sql`UPDATE bookings SET status = 'canceled' WHERE id = ${bookingId}`
        const canceled = yield* send(other.as(post("/payments", { booking_id: bookingId, payment_token: "tok_visa" })))
        assert.deepStrictEqual([canceled.status, canceled.body._tag], [409, "InvalidTransition"])
      }))

    it.effect("10 racing payments of one booking with one Idempotency-Key: one payment, ten identical answers", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const { client, bookingId } = yield* booked
        const results = yield* Effect.forEach(Array.from({ length: 10 }), () =>
          send(client.as(post("/payments", { booking_id: bookingId, payment_token: "tok_visa" })).pipe(
            HttpClientRequest.setHeader("idempotency-key", "pay-1")
          )), { concurrency: "unbounded" })
        assert.deepStrictEqual(results.map((r) => r.status), Array(10).fill(201))
        assert.strictEqual(new Set(results.map((r) => r.text)).size, 1)
        const rows = yield* sql`SELECT 1 FROM payments WHERE booking_id = ${bookingId}`
        assert.strictEqual(rows.length, 1)
        const unkeyed = yield* Effect.forEach(Array.from({ length: 5 }), () =>
          send(client.as(post("/payments", { booking_id: bookingId, payment_token: "tok_visa" }))), { concurrency: "unbounded" })
        assert.deepStrictEqual(unkeyed.map((r) => r.status), Array(5).fill(409))
      }))

    it.effect("admins release held payments and refund them, never above the amount, even racing", () =>
      Effect.gen(function*() {
        const { client, bookingId } = yield* booked
        const admin = yield* userWithToken("admin")
        const payment = (yield* send(client.as(post("/payments", { booking_id: bookingId, payment_token: "tok_visa" })))).body
        assert.strictEqual((yield* send(client.as(post(`/payments/${payment.id}/release`)))).status, 403)
        const released = yield* send(admin.as(post(`/payments/${payment.id}/release`)))
        assert.deepStrictEqual([released.status, released.body.status], [200, "released"])
        assert.strictEqual((yield* send(admin.as(post(`/payments/${payment.id}/release`)))).status, 409)

        const first = yield* send(admin.as(post(`/payments/${payment.id}/refunds`, { amount: "20.00", reason: "Late arrival" })))
        assert.deepStrictEqual([first.status, first.body.amount, first.body.reason], [201, "20.00", "Late arrival"])
        assert.strictEqual((yield* send(client.as(get(`/payments/${payment.id}`)))).body.status, "partially_refunded")
        const over = yield* send(admin.as(post(`/payments/${payment.id}/refunds`, { amount: "30.01", reason: "Too much" })))
        assert.deepStrictEqual([over.status, over.body._tag, over.body.refundable], [422, "RefundExceedsPayment", "30.00"])
        const racing = yield* Effect.forEach(Array.from({ length: 5 }), () =>
          send(admin.as(post(`/payments/${payment.id}/refunds`, { amount: "10.00", reason: "Goodwill" }))), { concurrency: "unbounded" })
        assert.deepStrictEqual(racing.map((r) => r.status).sort(), [201, 201, 201, 422, 422])
        const after = (yield* send(client.as(get(`/payments/${payment.id}`)))).body
        assert.deepStrictEqual([after.refunded_amount, after.status], ["50.00", "refunded"])
        const listed = yield* send(client.as(get(`/payments/${payment.id}/refunds`)))
        assert.strictEqual(listed.body.length, 4)
        assert.strictEqual((yield* send(admin.as(post(`/payments/${payment.id}/refunds`, { amount: "0", reason: "x" })))).status, 400)
      }))
  })
})
