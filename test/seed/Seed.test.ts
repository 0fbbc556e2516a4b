/**
 * The seed: the same dataset for the same seed, valid for every constraint
 * of the schema, with rating summaries that add up.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as Seed from "../../src/seed/Seed.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"

const options = { scale: 0.01, seed: 7, passwordHash: "x", today: new Date("2026-12-01T00:00:00Z") }

describe("seed", () => {
  it("is deterministic: the same seed gives the same rows, another seed others", () => {
    const a = Seed.generate(options)
    assert.deepStrictEqual(Seed.generate(options), a)
    assert.notDeepEqual(Seed.generate({ ...options, seed: 8 }).services, a.services)
    const n = Seed.counts(1)
    assert.deepStrictEqual(n, { providers: 2_000, clients: 20_000, services: 10_000, items: 20_000 })
  })

  it.layer(TestDatabase(), { timeout: "60 seconds", excludeTestServices: true })((it) => {
    it.effect("inserts a dataset every constraint accepts; ratings are the sums of the visible reviews", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const dataset = Seed.generate(options)
        assert.isFalse(yield* Seed.isSeeded)
        yield* Seed.insert(dataset)
        assert.isTrue(yield* Seed.isSeeded)
        const [counts] = yield* sql<{ users: number; services: number; items: number; slots: number; reviews: number }>`
          SELECT (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM services) AS services,
                 (SELECT count(*)::int FROM items) AS items, (SELECT count(*)::int FROM availability_slots) AS slots,
                 (SELECT count(*)::int FROM reviews) AS reviews`
        assert.deepStrictEqual(counts, {
          users: dataset.providers.length + dataset.clients.length,
          services: dataset.services.length,
          items: dataset.items.length,
          slots: dataset.slots.length,
          reviews: dataset.reviews.length
        })
        const mismatched = yield* sql`
          SELECT u.id FROM users u
          LEFT JOIN (SELECT reviewee_id, sum(rating)::int AS total, count(*)::int AS count FROM reviews GROUP BY reviewee_id) r
            ON r.reviewee_id = u.id
          WHERE u.rating_count <> COALESCE(r.count, 0) OR u.rating_sum <> COALESCE(r.total, 0)`
        assert.strictEqual(mismatched.length, 0)
        const withoutService = yield* sql`
          SELECT 1 FROM users u WHERE u.role = 'provider' AND NOT EXISTS (SELECT 1 FROM services s WHERE s.provider_id = u.id)`
        assert.strictEqual(withoutService.length, 0, "every provider offers something")
        yield* Seed.reset
        assert.isFalse(yield* Seed.isSeeded)
      }))
  })
})
