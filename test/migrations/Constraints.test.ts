/**
 * The schema's invariants hold on their own: each constraint rejects what it
 * must, with no application code in between.
 */
import { assert, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg/PgClient"
import { Effect } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { violation } from "../../src/infra/Sql.ts"
import { insertBooking, insertItem, insertService, insertUser } from "../utils/fixtures.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"

/** Runs `effect`, which must fail on the named constraint with the given SQLSTATE. */
const rejectedBy = <A, R>(effect: Effect.Effect<A, SqlError, R>, code: string, constraint?: string) =>
  Effect.gen(function*() {
    const error = yield* Effect.flip(effect)
    const found = violation(error)
    assert.strictEqual(found.code, code)
    if (constraint !== undefined) assert.strictEqual(found.constraint, constraint)
  })

const EXCLUSION = "23P01"
const CHECK = "23514"
const UNIQUE = "23505"
const FOREIGN_KEY = "23503"

const parties = Effect.gen(function*() {
  const clientId = yield* insertUser("client")
  const providerId = yield* insertUser("provider")
  const serviceId = yield* insertService(providerId)
  return { clientId, providerId, serviceId }
})

it.layer(TestDatabase(), { timeout: "60 seconds" })("schema constraints", (it) => {
  it.effect("no two pending or accepted bookings of one provider overlap", () =>
    Effect.gen(function*() {
      const p = yield* parties
      yield* insertBooking({ ...p, start: "2030-01-01T10:00:00Z", end: "2030-01-01T12:00:00Z" })
      yield* rejectedBy(
        insertBooking({ ...p, start: "2030-01-01T11:00:00Z", end: "2030-01-01T13:00:00Z", status: "accepted" }),
        EXCLUSION,
        "bookings_no_overlap"
      )
      // Half-open ranges: a booking may start when the previous one ends.
      yield* insertBooking({ ...p, start: "2030-01-01T12:00:00Z", end: "2030-01-01T13:00:00Z" })
      // Canceled and completed bookings free their time.
      yield* insertBooking({ ...p, start: "2030-01-01T10:30:00Z", end: "2030-01-01T11:00:00Z", status: "canceled" })
      // Another provider is not affected.
      const other = yield* parties
      yield* insertBooking({ ...other, start: "2030-01-01T10:00:00Z", end: "2030-01-01T12:00:00Z" })
    }))

  it.effect("no provider has overlapping availability slots", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient
      const providerId = yield* insertUser("provider")
      const slot = (start: string, end: string) =>
        sql`INSERT INTO availability_slots (provider_id, period) VALUES (${providerId}, tstzrange(${start}::timestamptz, ${end}::timestamptz))`
      yield* slot("2030-02-01T09:00:00Z", "2030-02-01T17:00:00Z")
      yield* rejectedBy(slot("2030-02-01T16:00:00Z", "2030-02-01T18:00:00Z"), EXCLUSION, "availability_slots_no_overlap")
      yield* slot("2030-02-01T17:00:00Z", "2030-02-01T18:00:00Z")
      yield* rejectedBy(slot("2030-02-02T09:00:00Z", "2030-02-02T09:10:00Z"), CHECK)
    }))

  it.effect("stock never goes negative, even through a conditional decrement race", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient
      const providerId = yield* insertUser("provider")
      yield* rejectedBy(insertItem(providerId, -1), CHECK)
      const itemId = yield* insertItem(providerId, 2)
      yield* rejectedBy(sql`UPDATE items SET inventory_quantity = inventory_quantity - 3 WHERE id = ${itemId}`, CHECK)
      const rows = yield* sql<{ inventoryQuantity: number }>`SELECT inventory_quantity FROM items WHERE id = ${itemId}`
      assert.strictEqual(rows[0]?.inventoryQuantity, 2)
    }))

  it.effect("one review per booking and direction, rated 1 to 5", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient
      const p = yield* parties
      const bookingId = yield* insertBooking({ ...p, start: "2029-03-01T10:00:00Z", end: "2029-03-01T11:00:00Z", status: "completed" })
      const review = (rating: number) =>
        sql`INSERT INTO reviews ${
          sql.insert({ bookingId, reviewerId: p.clientId, revieweeId: p.providerId, direction: "client_to_provider", rating })
        }`
      yield* rejectedBy(review(6), CHECK)
      yield* rejectedBy(review(0), CHECK)
      yield* review(5)
      yield* rejectedBy(review(4), UNIQUE, "reviews_one_per_direction")
      yield* sql`INSERT INTO reviews ${
        sql.insert({ bookingId, reviewerId: p.providerId, revieweeId: p.clientId, direction: "provider_to_client", rating: 4 })
      }`
    }))

  it.effect("emails are unique without regard to case", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient
      const user = (email: string) =>
        sql`INSERT INTO users ${sql.insert({ email, passwordHash: "x", name: "Ann Lee", role: "client" })}`
      yield* user("Ann.Lee@Example.com")
      yield* rejectedBy(user("ann.lee@example.COM"), UNIQUE, "users_email_key")
    }))

  it.effect("refunds never exceed the payment, and a booking is paid once", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient
      const p = yield* parties
      const bookingId = yield* insertBooking({ ...p, start: "2030-04-01T10:00:00Z", end: "2030-04-01T11:00:00Z" })
      const pay = sql<{ id: string }>`INSERT INTO payments ${
        sql.insert({ payerId: p.clientId, payeeId: p.providerId, bookingId, amount: "50.00", status: "held" })
      } RETURNING id`
      const [payment] = yield* pay
      yield* rejectedBy(pay, UNIQUE, "payments_one_per_booking")
      const refund = (amount: string) =>
        sql`INSERT INTO refunds ${sql.insert({ paymentId: payment!.id, amount, reason: "test" })}`
      yield* refund("30.00")
      yield* rejectedBy(refund("20.01"), CHECK, "payments_refund_bounded")
      yield* refund("20.00")
      const rows = yield* sql<{ refundedAmount: string }>`SELECT refunded_amount FROM payments WHERE id = ${payment!.id}`
      assert.strictEqual(rows[0]?.refundedAmount, "50.00")
      // A failed attempt does not block paying again.
      const other = yield* insertBooking({ ...p, start: "2030-04-02T10:00:00Z", end: "2030-04-02T11:00:00Z" })
      yield* sql`INSERT INTO payments ${sql.insert({ payerId: p.clientId, bookingId: other, amount: "50.00", status: "failed" })}`
      yield* sql`INSERT INTO payments ${sql.insert({ payerId: p.clientId, bookingId: other, amount: "50.00", status: "held" })}`
    }))

  it.effect("order totals add up and lines reference real items", () =>
    Effect.gen(function*() {
      const sql = yield* PgClient
      const clientId = yield* insertUser("client")
      const order = (total: string) =>
        sql<{ id: string }>`INSERT INTO orders ${
          sql.insert({
            clientId,
            subtotal: "100.00",
            taxAmount: "13.00",
            platformFee: "5.00",
            totalAmount: total,
            shippingAddress: sql.json({ line1: "1 Main St", city: "Toronto", province_code: "ON", postal_code: "M5V2T6" }),
            shippingProvinceCode: "ON"
          })
        } RETURNING id`
      yield* rejectedBy(order("110.00"), CHECK, "orders_total_adds_up")
      const [created] = yield* order("113.00")
      yield* rejectedBy(
        sql`INSERT INTO order_items ${
          sql.insert({
            orderId: created!.id,
            itemId: crypto.randomUUID(),
            sellerId: clientId,
            name: "x",
            quantity: 1,
            unitPrice: "1.00",
            lineTotal: "1.00"
          })
        }`,
        FOREIGN_KEY
      )
    }))

  it.effect("the 13 provinces are seeded with their combined tax rates", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient
      const rows = yield* sql<{ provinceCode: string; total: string }>`
        SELECT province_code, total FROM tax_rules ORDER BY province_code`
      assert.deepStrictEqual(
        Object.fromEntries(rows.map((r) => [r.provinceCode, Number(r.total)])),
        {
          AB: 0.05, BC: 0.12, MB: 0.12, NB: 0.15, NL: 0.15, NS: 0.15, NT: 0.05,
          NU: 0.05, ON: 0.13, PE: 0.15, QC: 0.14975, SK: 0.11, YT: 0.05
        }
      )
    }))

  it.effect("updated_at follows every update", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient
      const providerId = yield* insertUser("provider")
      const [service] = yield* sql<{ id: string }>`INSERT INTO services
          (provider_id, type, title, description, hourly_rate, created_at, updated_at)
        VALUES (${providerId}, 'errands', 'Errands', 'Any errand', 20, now() - interval '1 day', now() - interval '1 day')
        RETURNING id`
      const stale = yield* sql<{ fresh: boolean }>`SELECT updated_at > created_at + interval '1 hour' AS fresh FROM services WHERE id = ${service!.id}`
      assert.isFalse(stale[0]?.fresh)
      yield* sql`UPDATE services SET title = 'Long errands' WHERE id = ${service!.id}`
      const rows = yield* sql<{ fresh: boolean }>`SELECT updated_at > created_at + interval '1 hour' AS fresh FROM services WHERE id = ${service!.id}`
      assert.isTrue(rows[0]?.fresh)
    }))

  it.effect("a deleted user's services and items are deleted with them, and no one else's", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient
      const providerId = yield* insertUser("provider")
      const otherId = yield* insertUser("provider")
      yield* insertService(providerId)
      yield* insertService(otherId)
      yield* insertItem(providerId, 2)
      yield* sql`UPDATE users SET deleted_at = now() WHERE id = ${providerId}`
      const live = yield* sql<{ providerId: string }>`
        SELECT provider_id FROM services WHERE deleted_at IS NULL AND provider_id IN (${providerId}, ${otherId})
        UNION ALL SELECT provider_id FROM items WHERE deleted_at IS NULL AND provider_id = ${providerId}`
      assert.deepStrictEqual(live.map((row) => row.providerId), [otherId])
    }))
})
