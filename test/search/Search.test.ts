/**
 * `GET /search/services` on a cloned database: ranking, filters, sorts and
 * keyset pages that stay stable.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql/SqlClient"
import { insertBooking, insertService, insertUser } from "../utils/fixtures.ts"
import { send } from "../utils/Http.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TestApp, TestRedis } from "../utils/TestInfra.ts"

const search = (query: string) => send(HttpClientRequest.get(`/search/services?${query}`))
const titles = (body: { items: Array<{ title: string }> }) => body.items.map((s) => s.title)
const titlesOf = (body: { items: Array<{ name: string }> }) => body.items.map((i) => i.name)

/** All pages of a search, following next_cursor. */
const allPages = (query: string) =>
  Effect.gen(function*() {
    const seen: Array<string> = []
    let cursor: string | null = null
    do {
      const page: { readonly status: number; readonly body: any } = yield* search(`${query}&limit=2${cursor === null ? "" : `&cursor=${cursor}`}`)
      assert.strictEqual(page.status, 200)
      seen.push(...titles(page.body))
      cursor = page.body.next_cursor
    } while (cursor !== null)
    return seen
  })

describe("search", () => {
  it.layer(TestApp.pipe(Layer.provideMerge(Layer.mergeAll(TestDatabase(), TestRedis()))), { timeout: "60 seconds", excludeTestServices: true })(
    "services",
    (it) => {
      it.effect("ranks title above description, filters freely, sorts and pages stably", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient
          const montreal = yield* insertUser("provider", { provinceCode: "QC" })
          const toronto = yield* insertUser("provider", { provinceCode: "ON" })
          yield* sql`UPDATE users SET city = 'Montréal', rating_sum = 9, rating_count = 2 WHERE id = ${montreal}`
          yield* sql`UPDATE users SET city = 'Toronto', rating_sum = 5, rating_count = 1 WHERE id = ${toronto}`
          const rows: Array<[string, string, string, string, string | null, boolean]> = [
            [montreal, "dog_walking", "Dog walking in the Plateau", "Long walks", "20.00", true],
            [toronto, "dog_walking", "Park strolls", "Friendly dog walking for any breed", "35.00", false],
            [toronto, "house_cleaning", "Deep cleaning", "Kitchens and bathrooms", "40.00", true],
            [montreal, "errands", "Groceries and errands", "Weekly shopping runs", null, false]
          ]
          for (const [provider, type, title, description, hourly, featured] of rows) {
            yield* sql`INSERT INTO services (provider_id, type, title, description, hourly_rate, daily_rate, is_featured)
                       VALUES (${provider}, ${type}, ${title}, ${description}, ${hourly}::numeric, 100, ${featured})`
          }
          const dog = yield* search(`q=${encodeURIComponent("dog walking")}`)
          assert.deepStrictEqual(titles(dog.body).slice(0, 2), ["Dog walking in the Plateau", "Park strolls"], "a title match outranks a description match")
          assert.deepStrictEqual(titles((yield* search("q=dog&province=on")).body), ["Park strolls"])
          assert.deepStrictEqual(titles((yield* search("city=montr%C3%A9al&sort=newest")).body), ["Groceries and errands", "Dog walking in the Plateau"])
          assert.deepStrictEqual(titles((yield* search("min_rate=25&max_rate=40&sort=rate_asc")).body), ["Park strolls", "Deep cleaning"])
          assert.deepStrictEqual(titles((yield* search("featured=true&sort=rate_desc")).body), ["Deep cleaning", "Dog walking in the Plateau"])
          assert.deepStrictEqual(titles((yield* search("type=errands")).body), ["Groceries and errands"])

          for (const sort of ["newest", "rate_asc", "rate_desc", "rating"]) {
            const single = titles((yield* search(`sort=${sort}&limit=100`)).body)
            assert.strictEqual(single.length, 4, sort)
            assert.deepStrictEqual(yield* allPages(`sort=${sort}`), single, `pages of ${sort} add up to the whole list`)
          }
          const anyOf = `q=${encodeURIComponent("dog or cleaning or shopping")}`
          const ranked = titles((yield* search(`${anyOf}&limit=100`)).body)
          assert.strictEqual(ranked.length, 4)
          assert.deepStrictEqual(yield* allPages(anyOf), ranked, "relevance pages add up too")
          assert.sameMembers(titles((yield* search("sort=rating&limit=100")).body).slice(0, 2), ["Deep cleaning", "Park strolls"], "5.0 before 4.5")
          const rateAsc = titles((yield* search("sort=rate_asc&limit=100")).body)
          assert.strictEqual(rateAsc.at(-1), "Groceries and errands", "no hourly rate sorts last")

          for (const bad of ["sort=cheapest", "min_rate=abc", "type=plumbing", "limit=0", "cursor=xyz", "province=XX"]) {
            assert.strictEqual((yield* search(bad)).status, 400, bad)
          }
          const injection = yield* search(`q=${encodeURIComponent("'); DROP TABLE services; --")}`)
          assert.deepStrictEqual([injection.status, injection.body.items], [200, []])
        }))

      it.effect("suggestions by prefix across services, items and providers; wildcards in q are literal", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient
          const provider = yield* insertUser("provider")
          yield* sql`UPDATE users SET name = 'Gardening Gus' WHERE id = ${provider}`
          yield* sql`INSERT INTO services (provider_id, type, title, description, hourly_rate)
                     VALUES (${provider}, 'lawn_maintenance', 'Garden tidy-up', 'Leaves', 30), (${provider}, 'errands', '100% reliable errands', 'Runs', 20)`
          yield* sql`INSERT INTO items (provider_id, name, price, inventory_quantity) VALUES (${provider}, 'Garden gnome', 15, 3)`
          const all = yield* send(HttpClientRequest.get("/search/suggestions?q=GARD"))
          assert.strictEqual(all.status, 200)
          assert.deepStrictEqual(all.body.suggestions.map((s: { text: string; type: string }) => [s.text, s.type]), [
            ["Garden gnome", "items"], ["Garden tidy-up", "services"], ["Gardening Gus", "providers"]
          ])
          const items = yield* send(HttpClientRequest.get("/search/suggestions?q=gard&type=items&limit=1"))
          assert.deepStrictEqual(items.body.suggestions.map((s: { text: string }) => s.text), ["Garden gnome"])
          assert.deepStrictEqual((yield* send(HttpClientRequest.get(`/search/suggestions?q=${encodeURIComponent("100%")}`))).body.suggestions.map((s: { text: string }) => s.text), ["100% reliable errands"])
          assert.deepStrictEqual((yield* send(HttpClientRequest.get(`/search/suggestions?q=${encodeURIComponent("%e")}`))).body.suggestions, [], "% matches only itself")
          assert.strictEqual((yield* send(HttpClientRequest.get("/search/suggestions?q=g"))).status, 400)
          assert.strictEqual((yield* send(HttpClientRequest.get("/search/suggestions?q=ga&limit=21"))).status, 400)
        }))

      it.effect("items: ranked full text, price range, province, stock, sorts with stable pages", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient
          const quebec = yield* insertUser("provider", { provinceCode: "QC" })
          const ontario = yield* insertUser("provider", { provinceCode: "ON" })
          for (const [provider, name, description, price, stock] of [
            [quebec, "Wool scarf", "Warm knit by zorblax", "30.00", 3],
            [ontario, "Knitted hat", "Made of wool by zorblax", "25.00", 0],
            [ontario, "Clay mug", "Stoneware by zorblax", "18.50", 7],
            [quebec, "Wool socks", "Cozy, by zorblax", "12.00", 9]
          ] as const) {
            yield* sql`INSERT INTO items (provider_id, name, description, price, inventory_quantity)
                       VALUES (${provider}, ${name}, ${description}, ${price}::numeric, ${stock})`
          }
          const items = (query: string) => send(HttpClientRequest.get(`/search/items?${query}`))
          const wool = titlesOf((yield* items("q=wool")).body)
          assert.sameMembers(wool.slice(0, 2), ["Wool scarf", "Wool socks"], "name matches outrank description matches")
          assert.strictEqual(wool[2], "Knitted hat")
          assert.deepStrictEqual(titlesOf((yield* items("q=wool&in_stock=true&province=qc&sort=price_asc")).body), ["Wool socks", "Wool scarf"])
          assert.deepStrictEqual(titlesOf((yield* items("q=zorblax&min_price=15&max_price=26&sort=price_desc")).body), ["Knitted hat", "Clay mug"])
          const byPrice = titlesOf((yield* items("q=zorblax&sort=price_asc&limit=100")).body)
          assert.deepStrictEqual(byPrice, ["Wool socks", "Clay mug", "Knitted hat", "Wool scarf"])
          const paged: Array<string> = []
          let cursor: string | null = null
          do {
            const page: { readonly body: any } = yield* items(`q=zorblax&sort=price_asc&limit=3${cursor === null ? "" : `&cursor=${cursor}`}`)
            paged.push(...titlesOf(page.body))
            cursor = page.body.next_cursor
          } while (cursor !== null)
          assert.deepStrictEqual(paged, byPrice)
          for (const bad of ["sort=cheapest", "min_price=x", "in_stock=maybe"]) assert.strictEqual((yield* items(bad)).status, 400, bad)
        }))

      it.effect("providers: by name or what they offer, place, service type and rating, best rated first", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient
          const make = (name: string, province: string, sum: number, count: number, type: string, title: string) =>
            Effect.gen(function*() {
              const id = yield* insertUser("provider", { provinceCode: province })
              yield* sql`UPDATE users SET name = ${name}, rating_sum = ${sum}, rating_count = ${count} WHERE id = ${id}`
              yield* sql`INSERT INTO services (provider_id, type, title, description, hourly_rate)
                         VALUES (${id}, ${type}::service_type, ${title}, 'Qwertyville', 20)`
              return id
            })
          yield* make("Ada Qwerty", "ON", 9, 2, "dog_walking", "Walks")
          yield* make("Bo Qwerty", "QC", 5, 1, "house_cleaning", "Cleaning")
          yield* make("Cy Qwerty", "ON", 0, 0, "dog_walking", "Walks")
          yield* make("Di Other", "ON", 4, 1, "errands", "Qwertyish errands")
          const providers = (query: string) => send(HttpClientRequest.get(`/search/providers?${query}`))
          const names = (body: { items: Array<{ name: string }> }) => body.items.map((p) => p.name)
          assert.deepStrictEqual(names((yield* providers("q=qwerty")).body), ["Bo Qwerty", "Ada Qwerty", "Cy Qwerty"], "5.0, 4.5, then unrated")
          assert.deepStrictEqual(names((yield* providers("q=qwerty&province=on&service_type=dog_walking")).body), ["Ada Qwerty", "Cy Qwerty"])
          assert.deepStrictEqual(names((yield* providers("q=qwertyish")).body), ["Di Other"], "found by the service they offer")
          assert.deepStrictEqual(names((yield* providers("q=qwerty&min_rating=4.6")).body), ["Bo Qwerty"])
          const first = yield* providers("q=qwerty&limit=2")
          const rest = yield* providers(`q=qwerty&limit=2&cursor=${first.body.next_cursor}`)
          assert.deepStrictEqual([...names(first.body), ...names(rest.body)], ["Bo Qwerty", "Ada Qwerty", "Cy Qwerty"])
          assert.deepStrictEqual(Object.keys(first.body.items[0]).sort(), ["city", "id", "name", "province_code", "rating", "role"])
          assert.strictEqual((yield* providers("min_rating=6")).status, 400)
        }))

      it.effect("available: a slot covering the window and no pending or accepted booking overlapping it", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient
          const hour = 3600_000
          const base = Math.ceil(Date.now() / hour) * hour + 48 * hour
          const t = (h: number) => new Date(base + h * hour).toISOString()
          const client = yield* insertUser("client")
          const providers = yield* Effect.forEach(["free", "booked", "partial", "canceled"], (name) =>
            Effect.gen(function*() {
              const id = yield* insertUser("provider")
              const service = yield* insertService(id)
              yield* sql`UPDATE services SET title = ${name} WHERE id = ${service}`
              yield* sql`INSERT INTO availability_slots (provider_id, period)
                         VALUES (${id}, tstzrange(${name === "partial" ? t(2) : t(0)}::timestamptz, ${t(8)}::timestamptz, '[)'))`
              return { id, service, name }
            }))
          const [, booked, , canceled] = providers
          yield* insertBooking({ clientId: client, providerId: booked!.id, serviceId: booked!.service, start: t(3), end: t(5) })
          yield* insertBooking({ clientId: client, providerId: canceled!.id, serviceId: canceled!.service, start: t(3), end: t(5), status: "canceled" })
          const window = (from: string, to: string, extra = "") =>
            send(HttpClientRequest.get(`/search/services/available?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}${extra}`))
          const found = yield* window(t(1), t(4))
          assert.strictEqual(found.status, 200)
          assert.sameMembers(titles(found.body), ["free", "canceled"])
          assert.sameMembers(titles((yield* window(t(5), t(7))).body), ["free", "booked", "partial", "canceled"], "after the booking everyone is free")
          assert.deepStrictEqual(titles((yield* window(t(1), t(4), "&type=house_cleaning")).body), [])
          assert.strictEqual((yield* window(t(4), t(1))).status, 400)
          assert.strictEqual((yield* send(HttpClientRequest.get(`/search/services/available?from=${encodeURIComponent(t(1))}`))).status, 400)
        }))
    }
  )
})
