/**
 * Rows for tests, written with plain SQL so schema tests do not depend on the
 * domain code they will later protect. Every helper returns the new row's id.
 */
import { Effect } from "effect"
import { SqlClient } from "effect/sql/SqlClient"

let counter = 0
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`

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
