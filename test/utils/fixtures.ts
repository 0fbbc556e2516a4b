/**
 * Rows for tests, written with plain SQL so schema tests do not depend on the
 * domain code they will later protect. Every helper returns the new row's id.
 */
import { Effect } from "effect"
import { SqlClient } from "effect/sql/SqlClient"

let counter = 0
/** A string no other call in this run returns. */
export const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`

/** An email address no other test of this run uses. */
export const uniqueEmail = (prefix: string) => `${prefix}-${unique()}@example.ca`

export const insertUser = (role: "client" | "provider" | "admin", fields: { readonly provinceCode?: string } = {}) =>
  SqlClient.use((sql) =>
    sql<{ id: string }>`INSERT INTO users ${
      sql.insert({
        email: `${role}-${unique()}@example.com`,
        passwordHash: "x",
        name: `Test ${role}`,
        role,
        verificationStatus: role === "provider" ? "approved" : null,
        provinceCode: fields.provinceCode ?? "ON"
      })
    } RETURNING id`
  ).pipe(Effect.map((rows) => rows[0]!.id), Effect.orDie)

export const insertService = (providerId: string) =>
  SqlClient.use((sql) =>
    sql<{ id: string }>`INSERT INTO services ${
      sql.insert({ providerId, type: "dog_walking", title: "Dog walks", description: "Walks", hourlyRate: "25.00" })
    } RETURNING id`
  ).pipe(Effect.map((rows) => rows[0]!.id), Effect.orDie)

export const insertBooking = (fields: {
  readonly clientId: string
  readonly providerId: string
  readonly serviceId: string
  readonly start: string
  readonly end: string
  readonly status?: "pending" | "accepted" | "completed" | "canceled"
}) =>
  SqlClient.use((sql) =>
    sql<{ id: string }>`INSERT INTO bookings (client_id, provider_id, service_id, period, status, total_amount, platform_fee)
      VALUES (${fields.clientId}, ${fields.providerId}, ${fields.serviceId},
              tstzrange(${fields.start}::timestamptz, ${fields.end}::timestamptz, '[)'),
              ${fields.status ?? "pending"}, 50.00, 5.00)
      RETURNING id`
  ).pipe(Effect.map((rows) => rows[0]!.id))

export const insertItem = (providerId: string, inventoryQuantity: number) =>
  SqlClient.use((sql) =>
    sql<{ id: string }>`INSERT INTO items ${
      sql.insert({ providerId, name: "Knitted scarf", price: "30.00", inventoryQuantity })
    } RETURNING id`
  ).pipe(Effect.map((rows) => rows[0]!.id))

/**
 * A client account with `bookings` bookings spread over three providers and
 * six services, `orders` orders of one line with a held payment each, and
 * three messages; for composite reads and their budgets. Returns the ids.
 */
export const insertAccount = (size: { readonly bookings: number; readonly orders: number }) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    const client = yield* insertUser("client")
    const providers = yield* Effect.forEach([1, 2, 3], () => insertUser("provider"))
    const services = yield* Effect.forEach([...providers, ...providers], insertService)
    const item = yield* insertItem(providers[0]!, 1_000_000)
    // Bookings an hour apart from three days ahead: no two overlap, whatever the provider.
    yield* sql`
      INSERT INTO bookings (client_id, provider_id, service_id, period, status, total_amount, platform_fee)
      SELECT ${client}, s.provider_id, s.id,
             tstzrange(date_trunc('hour', now()) + interval '3 days' + g * interval '1 hour',
                       date_trunc('hour', now()) + interval '3 days' + g * interval '1 hour' + interval '30 minutes', '[)'),
             'pending', 12.50, 1.25
      FROM generate_series(1, ${size.bookings}) AS g
      JOIN services s ON s.id = (${services}::uuid[])[1 + g % ${services.length}]`
    yield* sql`
      WITH placed AS (
        INSERT INTO orders (client_id, subtotal, tax_amount, platform_fee, total_amount, shipping_address, shipping_province_code)
        SELECT ${client}, 60.00, 7.80, 3.00, 67.80,
               '{"line1": "1 Main St", "city": "Toronto", "province_code": "ON", "postal_code": "M5V1A1"}'::jsonb, 'ON'
        FROM generate_series(1, ${size.orders})
        RETURNING id
      ), lines AS (
        INSERT INTO order_items (order_id, item_id, seller_id, name, quantity, unit_price, line_total)
        SELECT placed.id, ${item}, ${providers[0]!}, 'Knitted scarf', 2, 30.00, 60.00 FROM placed
      )
      INSERT INTO payments (payer_id, payee_id, order_id, amount, status, gateway_ref)
      SELECT ${client}, ${providers[0]!}, placed.id, 67.80, 'held', 'sim_' || placed.id FROM placed`
    yield* sql`
      INSERT INTO messages (sender_id, receiver_id, content)
      VALUES (${client}, ${providers[0]!}, 'Hello'), (${providers[0]!}, ${client}, 'Hi there'), (${client}, ${providers[1]!}, 'A question')`
    return { client, providers, services }
  }).pipe(Effect.orDie)
