/**
 * `/services` through the real routes on a cloned database.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql/SqlClient"
import { send, userWithToken } from "../utils/Http.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TestApp, TestRedis } from "../utils/TestInfra.ts"

const get = (path: string) => HttpClientRequest.get(path)
const withBody = (request: HttpClientRequest.HttpClientRequest, body: unknown) => request.pipe(HttpClientRequest.bodyJsonUnsafe(body))
const post = (path: string, body: unknown) => withBody(HttpClientRequest.post(path), body)
const patch = (path: string, body: unknown) => withBody(HttpClientRequest.patch(path), body)

const walks = { type: "dog_walking", title: " Morning walks ", description: "Two dogs at most, around the park.", hourly_rate: "25.5" }

describe("services", () => {
  it.layer(TestApp.pipe(Layer.provideMerge(Layer.mergeAll(TestDatabase(), TestRedis()))), { timeout: "60 seconds", excludeTestServices: true })(
    "routes",
    (it) => {
      it.effect("a provider creates a service: 201 with its provider's public view; other roles 403", () =>
        Effect.gen(function*() {
          const provider = yield* userWithToken("provider")
          const created = yield* send(provider.as(post("/services", walks)))
          assert.strictEqual(created.status, 201)
          assert.deepStrictEqual(
            [created.body.title, created.body.hourly_rate, created.body.daily_rate, created.body.status, created.body.is_featured],
            ["Morning walks", "25.50", null, "active", false]
          )
          assert.deepStrictEqual(created.body.provider, { id: provider.id, name: "Test provider", role: "provider", city: null, province_code: "ON", rating: null })
          assert.deepStrictEqual((yield* send(get(`/services/${created.body.id}`))).body, created.body)
          const client = yield* userWithToken("client")
          assert.strictEqual((yield* send(client.as(post("/services", walks)))).status, 403)
          const admin = yield* userWithToken("admin")
          assert.strictEqual((yield* send(admin.as(post("/services", walks)))).status, 403)
          assert.strictEqual((yield* send(post("/services", walks))).status, 401)
        }))

      it.effect("rates: at least one, hourly 0–1000, daily 0–5000, two decimals; numbers accepted", () =>
        Effect.gen(function*() {
          const provider = yield* userWithToken("provider")
          const create = (fields: Record<string, unknown>) => send(provider.as(post("/services", { ...walks, hourly_rate: undefined, ...fields })))
          assert.strictEqual((yield* create({ daily_rate: 120 })).body.daily_rate, "120.00")
          assert.strictEqual((yield* create({ hourly_rate: "1000" })).body.hourly_rate, "1000.00")
          const none = yield* create({})
          assert.deepStrictEqual([none.status, none.body._tag], [400, "BadRequest"])
          for (const bad of [{ hourly_rate: "1000.01" }, { hourly_rate: -1 }, { daily_rate: "5000.5" }, { hourly_rate: "12.345" }, { hourly_rate: "ten" }]) {
            const response = yield* create(bad)
            assert.strictEqual(response.status, 400, Object.entries(bad).join(" "))
            assert.strictEqual(response.body.issues[0].path[0], Object.keys(bad)[0])
          }
          const short = yield* create({ hourly_rate: 20, title: " ab " })
          assert.deepStrictEqual([short.status, short.body.issues[0].path], [400, ["title"]])
        }))

      it.effect("only the owner changes or deletes; a deleted service answers 404", () =>
        Effect.gen(function*() {
          const owner = yield* userWithToken("provider")
          const other = yield* userWithToken("provider")
          const id = (yield* send(owner.as(post("/services", walks)))).body.id
          assert.strictEqual((yield* send(other.as(patch(`/services/${id}`, { title: "Mine now" })))).status, 403)
          const updated = yield* send(owner.as(patch(`/services/${id}`, { title: "Evening walks", daily_rate: "80", terms: "Cash" })))
          assert.deepStrictEqual([updated.status, updated.body.title, updated.body.daily_rate, updated.body.terms], [200, "Evening walks", "80.00", "Cash"])
          const cleared = yield* send(owner.as(patch(`/services/${id}`, { terms: null, hourly_rate: null })))
          assert.deepStrictEqual([cleared.body.terms, cleared.body.hourly_rate, cleared.body.daily_rate], [null, null, "80.00"])
          const rateless = yield* send(owner.as(patch(`/services/${id}`, { daily_rate: null })))
          assert.deepStrictEqual([rateless.status, rateless.body._tag], [400, "BadRequest"])
          assert.strictEqual((yield* send(owner.as(patch(`/services/${id}`, {})))).status, 400)
          assert.strictEqual((yield* send(other.as(HttpClientRequest.delete(`/services/${id}`)))).status, 403)
          assert.strictEqual((yield* send(owner.as(HttpClientRequest.delete(`/services/${id}`)))).status, 204)
          assert.strictEqual((yield* send(get(`/services/${id}`))).status, 404)
          assert.strictEqual((yield* send(owner.as(patch(`/services/${id}`, { title: "Back" })))).status, 404)
          assert.strictEqual((yield* send(owner.as(HttpClientRequest.delete(`/services/${id}`)))).status, 404)
          assert.strictEqual((yield* send(get(`/services/${crypto.randomUUID()}`))).status, 404)
          assert.strictEqual((yield* send(get("/services/nope"))).status, 400)
        }))

      it.effect("lists active services newest first in stable keyset pages, filtered", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient
          const provider = yield* userWithToken("provider")
          const ids: Array<string> = []
          for (let i = 0; i < 5; i++) {
            ids.push((yield* send(provider.as(post("/services", { ...walks, title: `Walk ${i}`, is_featured: i % 2 === 0 })))).body.id)
          }
          yield* send(provider.as(post("/services", { ...walks, type: "errands", title: "Errands" })))
          yield* sql`UPDATE services SET status = 'inactive' WHERE id = ${ids[4]!}`
          const page = (query: string) => send(get(`/services?provider_id=${provider.id}&type=dog_walking${query}`))
          const first = yield* page("&limit=2")
          assert.deepStrictEqual(first.body.items.map((s: { id: string }) => s.id), [ids[3], ids[2]])
          yield* send(provider.as(post("/services", { ...walks, title: "Walk late" })))
          const second = yield* page(`&limit=2&cursor=${first.body.next_cursor}`)
          assert.deepStrictEqual(second.body.items.map((s: { id: string }) => s.id), [ids[1], ids[0]], "an insert between pages does not shift them")
          const featured = yield* page("&featured=true")
          assert.deepStrictEqual(featured.body.items.map((s: { id: string }) => s.id), [ids[2], ids[0]])
          for (const bad of ["&limit=0", "&limit=101", "&cursor=bogus", "&featured=maybe", "&type=plumbing"]) {
            assert.strictEqual((yield* page(bad)).status, 400, bad)
          }
        }))
    }
  )
})
