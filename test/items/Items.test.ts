/**
 * `/items` and `/items/categories` through the real routes on a cloned database.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { HttpClientRequest } from "effect/http"
import { send, userWithToken } from "../utils/Http.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TestApp, TestRedis } from "../utils/TestInfra.ts"

const get = (path: string) => HttpClientRequest.get(path)
const post = (path: string, body: unknown) => HttpClientRequest.post(path).pipe(HttpClientRequest.bodyJsonUnsafe(body))
const patch = (path: string, body: unknown) => HttpClientRequest.patch(path).pipe(HttpClientRequest.bodyJsonUnsafe(body))
const scarf = { name: " Knitted scarf ", description: "Merino wool", price: "30", inventory_quantity: 5, tags: ["Wool", " winter ", "wool"] }

describe("items", () => {
  it.layer(TestApp.pipe(Layer.provideMerge(Layer.mergeAll(TestDatabase(), TestRedis()))), { timeout: "60 seconds", excludeTestServices: true })(
    "routes",
    (it) => {
      it.effect("admins create categories, unique whatever the case; anyone lists them", () =>
        Effect.gen(function*() {
          const admin = yield* userWithToken("admin")
          const provider = yield* userWithToken("provider")
          const created = yield* send(admin.as(post("/items/categories", { name: " Knitwear ", description: "Hand-knitted" })))
          assert.deepStrictEqual([created.status, created.body.name, created.body.description], [201, "Knitwear", "Hand-knitted"])
          const dup = yield* send(admin.as(post("/items/categories", { name: "KNITWEAR" })))
          assert.deepStrictEqual([dup.status, dup.body._tag], [409, "CategoryNameTaken"])
          assert.strictEqual((yield* send(provider.as(post("/items/categories", { name: "Pottery" })))).status, 403)
          const listed = yield* send(get("/items/categories"))
          assert.include(listed.body.map((c: { name: string }) => c.name), "Knitwear")
        }))

      it.effect("a provider lists an item with distinct tags and a normalised price; rules are 400/403/422", () =>
        Effect.gen(function*() {
          const admin = yield* userWithToken("admin")
          const provider = yield* userWithToken("provider")
          const category = (yield* send(admin.as(post("/items/categories", { name: `Cat ${crypto.randomUUID().slice(0, 8)}` })))).body.id
          const created = yield* send(provider.as(post("/items", { ...scarf, category_id: category })))
          assert.strictEqual(created.status, 201)
          assert.deepStrictEqual(
            [created.body.name, created.body.price, created.body.inventory_quantity, created.body.tags, created.body.image_file_ids, created.body.category_id],
            ["Knitted scarf", "30.00", 5, ["winter", "Wool"], [], category]
          )
          assert.deepStrictEqual((yield* send(get(`/items/${created.body.id}`))).body, created.body)
          const client = yield* userWithToken("client")
          assert.strictEqual((yield* send(client.as(post("/items", scarf)))).status, 403)
          const unknown = yield* send(provider.as(post("/items", { ...scarf, category_id: crypto.randomUUID() })))
          assert.deepStrictEqual([unknown.status, unknown.body._tag], [422, "UnknownCategory"])
          const bad = yield* send(provider.as(post("/items", { name: "x", price: "-1", inventory_quantity: 1.5, tags: ["a".repeat(51)] })))
          assert.strictEqual(bad.status, 400)
          assert.sameMembers(bad.body.issues.map((i: { path: Array<string | number> }) => String(i.path[0])), ["name", "price", "inventory_quantity", "tags"])
        }))

      it.effect("only the owner changes or deletes; tags are replaced; a deleted item answers 404", () =>
        Effect.gen(function*() {
          const owner = yield* userWithToken("provider")
          const other = yield* userWithToken("provider")
          const id = (yield* send(owner.as(post("/items", scarf)))).body.id
          assert.strictEqual((yield* send(other.as(patch(`/items/${id}`, { price: 1 })))).status, 403)
          const updated = yield* send(owner.as(patch(`/items/${id}`, { price: 27.5, inventory_quantity: 0, tags: ["Gift"], description: null })))
          assert.deepStrictEqual(
            [updated.status, updated.body.price, updated.body.inventory_quantity, updated.body.tags, updated.body.description],
            [200, "27.50", 0, ["Gift"], null]
          )
          assert.strictEqual((yield* send(owner.as(patch(`/items/${id}`, {})))).status, 400)
          assert.strictEqual((yield* send(other.as(HttpClientRequest.delete(`/items/${id}`)))).status, 403)
          assert.strictEqual((yield* send(owner.as(HttpClientRequest.delete(`/items/${id}`)))).status, 204)
          assert.strictEqual((yield* send(get(`/items/${id}`))).status, 404)
          assert.strictEqual((yield* send(owner.as(HttpClientRequest.delete(`/items/${id}`)))).status, 404)
        }))

      it.effect("lists items newest first in keyset pages, by provider or category", () =>
        Effect.gen(function*() {
          const provider = yield* userWithToken("provider")
          const ids: Array<string> = []
          for (let i = 0; i < 3; i++) ids.push((yield* send(provider.as(post("/items", { ...scarf, name: `Item ${i}` })))).body.id)
          const first = yield* send(get(`/items?provider_id=${provider.id}&limit=2`))
          assert.deepStrictEqual(first.body.items.map((i: { id: string }) => i.id), [ids[2], ids[1]])
          const second = yield* send(get(`/items?provider_id=${provider.id}&limit=2&cursor=${first.body.next_cursor}`))
          assert.deepStrictEqual([second.body.items.map((i: { id: string }) => i.id), second.body.next_cursor], [[ids[0]], null])
          assert.strictEqual((yield* send(get(`/items?category_id=${crypto.randomUUID()}`))).body.items.length, 0)
          assert.strictEqual((yield* send(get("/items?cursor=zzz"))).status, 400)
        }))
    }
  )
})
