import { assert, describe, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { migrations } from "../../migrations/index.ts"
import { migrate, pgConfig } from "../../src/infra/Sql.ts"
import { scopedDatabase } from "../utils/TestDatabase.ts"

const clientFor = (url: Parameters<typeof pgConfig>[0]) =>
  Layer.fresh(PgClient.layer({ ...pgConfig(url), maxConnections: 2 }))

const tables = SqlClient.use((sql) =>
  sql<{ table_name: string }>`SELECT table_name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`
).pipe(Effect.map((rows) => rows.map((r) => r.table_name)))

describe("migrations", () => {
  it.effect("apply to an empty database and create every table of the API", () =>
    Effect.gen(function*() {
      const db = yield* scopedDatabase({ migrated: false })
      const applied = yield* migrate().pipe(Effect.provide(clientFor(db.url)))
      assert.strictEqual(applied.length, Object.keys(migrations).length)
      const names = yield* tables.pipe(Effect.provide(clientFor(db.url)))
      for (
        const table of [
          "users", "refresh_tokens", "user_tokens", "canadian_provinces", "tax_rules", "services",
          "availability_slots", "bookings", "booking_history", "item_categories", "items", "item_tags",
          "orders", "order_items", "shipments", "payments", "refunds", "idempotency_keys", "messages",
          "reviews", "notifications", "notification_preferences", "notification_deliveries", "files",
          "jobs", "cron_schedules", "daily_reports"
        ]
      ) {
        assert.include(names, table)
      }
    }).pipe(Effect.scoped), { timeout: 60_000 })

  it.effect("are idempotent on restart and safe when several processes start at once", () =>
    Effect.gen(function*() {
      const db = yield* scopedDatabase({ migrated: false })
      // Three "processes" race on an empty database: one migrates, the others wait for its lock.
      const results = yield* Effect.all(
        [0, 1, 2].map(() => migrate().pipe(Effect.provide(clientFor(db.url)))),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(results.reduce((n, applied) => n + applied.length, 0), Object.keys(migrations).length)
      const again = yield* migrate().pipe(Effect.provide(clientFor(db.url)))
      assert.strictEqual(again.length, 0)
    }).pipe(Effect.scoped), { timeout: 60_000 })
})
