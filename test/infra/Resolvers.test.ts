/**
 * Batched lookups against the real Postgres: repeated and missing keys in one
 * batch (a property over random key lists), one statement per batch, the
 * request cache and what empties it, and lookups inside a transaction.
 */
import { assert, describe, it } from "@effect/vitest"
import { Data, Effect, Layer, Option, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { UserId } from "../../src/domain/User.ts"
import * as RequestScope from "../../src/infra/RequestScope.ts"
import { ServicesRepo } from "../../src/listings/ServicesRepo.ts"
import { MessagesRepo } from "../../src/messages/MessagesRepo.ts"
import { UsersRepo } from "../../src/users/UsersRepo.ts"
import { insertService, insertUser } from "../utils/fixtures.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"

const Repos = Layer.mergeAll(UsersRepo.layer, ServicesRepo.layer, MessagesRepo.layer).pipe(Layer.provideMerge(TestDatabase()))

class RolledBack extends Data.TaggedError("RolledBack")<{ readonly names: ReadonlyArray<string> }> {}

const concurrently = { concurrency: "unbounded" } as const

/** Runs `effect` as one HTTP request would: in a fresh scope; returns its result and its statement count. */
const inRequest = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const scope = RequestScope.make()
    const result = yield* Effect.provideService(effect, RequestScope.CurrentRequestScope, scope)
    return { result, statements: scope.statements }
  })

/** 20 users, each a provider with `i % 4` services, and 10 ids that exist nowhere. */
const population = Effect.gen(function*() {
  const users = yield* Effect.forEach(Array.from({ length: 20 }, (_, i) => i), (i) =>
    Effect.gen(function*() {
      const id = (yield* insertUser("provider")) as UserId
      const services = yield* Effect.forEach(Array.from({ length: i % 4 }), () => insertService(id))
      return { id, services }
    }))
  const missing = Array.from({ length: 10 }, () => crypto.randomUUID() as UserId)
  return { users, missing, ids: [...users.map((u) => u.id), ...missing] }
})

/** Random lookups: positions into the 30 ids of `population`, repeats likely. */
const Picks = Schema.Array(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThanOrEqualTo(29)))
  .check(Schema.isMinLength(1), Schema.isMaxLength(80))

describe("batched lookups", () => {
  it.layer(Repos, { timeout: "60 seconds", excludeTestServices: true })("resolvers", (it) => {
    it.effect("a batch with repeated and missing ids: every caller gets its own answer, in one statement", () =>
      Effect.gen(function*() {
        const { ids, users } = yield* population
        const repo = yield* UsersRepo
        const picks = [0, 1, 0, 25, 1, 0, 29, 25, 7]
        const { result, statements } = yield* inRequest(
          Effect.forEach(picks, (i) => repo.findById(ids[i]!), concurrently)
        )
        assert.deepStrictEqual(
          result.map((row) => Option.map(row, (u) => u.id)),
          picks.map((i) => i < users.length ? Option.some(ids[i]) : Option.none())
        )
        assert.strictEqual(statements, 1)
      }))

    it.effect.prop("by id: random id lists with repeats always get the right rows", [Picks], ([picks]) =>
      Effect.gen(function*() {
        const repo = yield* UsersRepo
        const { ids, users } = yield* population
        const { result, statements } = yield* inRequest(Effect.forEach(picks, (i) => repo.findById(ids[i]!), concurrently))
        assert.deepStrictEqual(
          result.map((row) => Option.getOrNull(Option.map(row, (u) => u.id))),
          picks.map((i) => (i < users.length ? ids[i]! : null))
        )
        assert.strictEqual(statements, 1)
      }), { timeout: 60_000, arbitrary: { runs: 15 } })

    it.effect.prop("by parent: a repeated parent gets its rows once, a parent without rows an empty list", [Picks], ([picks]) =>
      Effect.gen(function*() {
        const repo = yield* ServicesRepo
        const { ids, users } = yield* population
        const { result, statements } = yield* inRequest(Effect.forEach(picks, (i) => repo.byProvider(ids[i]!), concurrently))
        assert.deepStrictEqual(
          result.map((rows) => rows.map((s) => s.id).sort()),
          picks.map((i) => (i < users.length ? [...users[i]!.services].sort() : []))
        )
        assert.isTrue(result.every((rows, n) => rows.every((s) => s.providerId === ids[picks[n]!])))
        assert.strictEqual(statements, 1)
      }), { timeout: 60_000, arbitrary: { runs: 15 } })

    it.effect("by parent with two parents per row: a message appears under its sender and its receiver", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const repo = yield* MessagesRepo
        const [a, b, c] = (yield* Effect.forEach([1, 2, 3], () => insertUser("client"))) as Array<UserId>
        yield* sql`INSERT INTO messages (sender_id, receiver_id, content) VALUES (${a}, ${b}, 'hello'), (${b}, ${c}, 'hi')`
        const { result, statements } = yield* inRequest(Effect.forEach([a!, b!, c!, b!], repo.recentOf, concurrently))
        assert.deepStrictEqual(result.map((rows) => rows.map((m) => m.content).sort()), [["hello"], ["hello", "hi"], ["hi"], ["hello", "hi"]])
        assert.strictEqual(statements, 1)
      }))

    it.effect("the request cache: a repeated lookup costs nothing until a statement that may write runs", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const repo = yield* UsersRepo
        const id = (yield* insertUser("client")) as UserId
        const { result, statements } = yield* inRequest(Effect.gen(function*() {
          const first = yield* repo.findById(id)
          const again = yield* repo.findById(id)
          yield* sql`UPDATE users SET name = 'Renamed' WHERE id = ${id}`
          const afterWrite = yield* repo.findById(id)
          return [first, again, afterWrite].map((row) => Option.getOrThrow(row).name)
        }))
        assert.deepStrictEqual(result, ["Test client", "Test client", "Renamed"])
        assert.strictEqual(statements, 3)
      }))

    it.effect("is per request: another request, or work outside any request, reads the database again", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const repo = yield* UsersRepo
        const id = (yield* insertUser("client")) as UserId
        const first = yield* inRequest(repo.findById(id))
        // A write from elsewhere (another instance): the next request must see it.
        yield* sql`UPDATE users SET name = 'Elsewhere' WHERE id = ${id}`
        const second = yield* inRequest(repo.findById(id))
        const outside = yield* repo.findById(id)
        assert.deepStrictEqual([first.result, second.result, outside].map((row) => Option.getOrThrow(row).name), [
          "Test client",
          "Elsewhere",
          "Elsewhere"
        ])
        assert.deepStrictEqual([first.statements, second.statements], [1, 1])
      }))

    it.effect("inside a transaction: lookups batch on its connection and see its writes; a rollback leaves no cached row", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const repo = yield* UsersRepo
        const [a, b] = (yield* Effect.forEach([1, 2], () => insertUser("client"))) as Array<UserId>
        const { result, statements } = yield* inRequest(Effect.gen(function*() {
          const before = yield* repo.findById(a!)
          const inside = yield* sql.withTransaction(Effect.gen(function*() {
            yield* sql`UPDATE users SET name = 'Uncommitted' WHERE id IN (${a!}, ${b!})`
            const rows = yield* Effect.forEach([a!, b!, a!], repo.findById, concurrently)
            return yield* new RolledBack({ names: rows.map((row) => Option.getOrThrow(row).name) })
          })).pipe(Effect.flip)
          const after = yield* repo.findById(a!)
          return { before: Option.getOrThrow(before).name, inside, after: Option.getOrThrow(after).name }
        }))
        assert.deepStrictEqual(result.before, "Test client")
        assert.deepStrictEqual(result.inside, new RolledBack({ names: ["Uncommitted", "Uncommitted", "Uncommitted"] }))
        assert.deepStrictEqual(result.after, "Test client")
        // before, BEGIN, UPDATE, the batch of three lookups, ROLLBACK, after.
        assert.strictEqual(statements, 6)
      }))
  })
})
