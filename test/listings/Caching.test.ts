/**
 * The cached public reads through the real routes on the real Redis: each
 * write of the invalidation table (docs/caching.md) is followed by the reads
 * it must refresh, all primed first, and every one sees the write. Then the
 * cache at work: a repeated read costs no statement, and `GET /ops/stats`
 * and `POST /ops/cache/invalidate`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { type HttpClient, HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql/SqlClient"
import type { UserId } from "../../src/domain/User.ts"
import { insertBooking, insertService } from "../utils/fixtures.ts"
import { send, statementsOf, userWithToken } from "../utils/Http.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TestApp, TestRedis } from "../utils/TestInfra.ts"

const get = (path: string) => HttpClientRequest.get(path)
const json = (method: "POST" | "PATCH", path: string, body: unknown) =>
  HttpClientRequest.make(method)(path).pipe(HttpClientRequest.bodyJsonUnsafe(body))

type Caller = { readonly id: UserId; readonly as: (r: HttpClientRequest.HttpClientRequest) => HttpClientRequest.HttpClientRequest }

/** A verified provider with a service titled uniquely, a client who completed a booking of it, and an admin. */
const world = Effect.gen(function*() {
  const sql = yield* SqlClient
  const provider = yield* userWithToken("provider")
  const client = yield* userWithToken("client")
  const admin = yield* userWithToken("admin")
  const word = `zq${crypto.randomUUID().slice(0, 8)}`
  const serviceId = yield* insertService(provider.id)
  yield* sql`UPDATE services SET title = ${`Walks ${word}`} WHERE id = ${serviceId}`
  const start = new Date(Date.now() - 2 * 86_400_000)
  const bookingId = yield* insertBooking({
    clientId: client.id, providerId: provider.id, serviceId, status: "completed",
    start: start.toISOString(), end: new Date(start.getTime() + 3_600_000).toISOString()
  })
  return { provider, client, admin, serviceId, bookingId, word }
})

type World = Effect.Success<typeof world>

interface Row {
  readonly write: string
  /** Before the reads are primed. */
  readonly setup?: (w: World) => Effect.Effect<void, unknown, HttpClient.HttpClient>
  readonly run: (w: World) => Effect.Effect<void, unknown, HttpClient.HttpClient>
  /** Each read and what it must show after the write. */
  readonly reads: (w: World) => ReadonlyArray<readonly [HttpClientRequest.HttpClientRequest, (body: any, status: number) => boolean]>
}

const rename = (caller: Caller, name: string) => Effect.asVoid(send(caller.as(json("PATCH", "/users/me", { name }))))

const table: ReadonlyArray<Row> = [
  {
    write: "PATCH /services/{id}",
    run: (w) => Effect.asVoid(send(w.provider.as(json("PATCH", `/services/${w.serviceId}`, { title: `Hikes ${w.word}` })))),
    reads: (w) => [
      [get(`/services/${w.serviceId}`), (b) => b.title === `Hikes ${w.word}`],
      [get(`/services?provider_id=${w.provider.id}`), (b) => b.items[0].title === `Hikes ${w.word}`],
      [get(`/services?type=dog_walking&limit=100`), (b) => b.items.some((s: any) => s.title === `Hikes ${w.word}`)],
      [get(`/search/services?q=${w.word}`), (b) => b.items[0]?.title === `Hikes ${w.word}`],
      [get(`/services/${w.serviceId}/overview`), (b) => b.service.title === `Hikes ${w.word}`]
    ]
  },
  {
    write: "POST /services",
    run: (w) =>
      Effect.asVoid(send(w.provider.as(json("POST", "/services", {
        type: "errands", title: `Errands ${w.word}`, description: "Groceries and parcels", hourly_rate: "20.00"
      })))),
    reads: (w) => [
      [get(`/services?provider_id=${w.provider.id}`), (b) => b.items.length === 2],
      [get(`/services?type=errands&limit=100`), (b) => b.items.some((s: any) => s.title === `Errands ${w.word}`)],
      [get(`/search/services?q=${w.word}`), (b) => b.items.length === 2],
      [get(`/search/providers?service_type=errands&limit=100`), (b) => b.items.some((p: any) => p.id === w.provider.id)]
    ]
  },
  {
    write: "DELETE /services/{id}",
    run: (w) => Effect.asVoid(send(w.provider.as(HttpClientRequest.delete(`/services/${w.serviceId}`)))),
    reads: (w) => [
      [get(`/services/${w.serviceId}`), (_, status) => status === 404],
      [get(`/services/${w.serviceId}/overview`), (_, status) => status === 404],
      [get(`/services?provider_id=${w.provider.id}`), (b) => b.items.length === 0],
      [get(`/search/services?q=${w.word}`), (b) => b.items.length === 0]
    ]
  },
  {
    write: "PATCH /users/me (a provider's name)",
    run: (w) => rename(w.provider, `Renamed ${w.word}`),
    reads: (w) => [
      [get(`/users/${w.provider.id}`), (b) => b.name === `Renamed ${w.word}`],
      [get(`/services/${w.serviceId}`), (b) => b.provider.name === `Renamed ${w.word}`],
      [get(`/services?provider_id=${w.provider.id}`), (b) => b.items[0].provider.name === `Renamed ${w.word}`],
      [get(`/search/services?q=${w.word}`), (b) => b.items[0].provider.name === `Renamed ${w.word}`],
      [get(`/search/providers?q=${w.word}`), (b) => b.items[0]?.name === `Renamed ${w.word}`],
      [get(`/services/${w.serviceId}/overview`), (b) => b.provider.name === `Renamed ${w.word}`]
    ]
  },
  {
    write: "POST /reviews (the provider's rating and latest reviews)",
    run: (w) => Effect.asVoid(send(w.client.as(json("POST", "/reviews", { booking_id: w.bookingId, rating: 4 })))),
    reads: (w) => [
      [get(`/users/${w.provider.id}`), (b) => b.rating?.count === 1],
      [get(`/services/${w.serviceId}`), (b) => b.provider.rating?.average === 4],
      [get(`/search/services?q=${w.word}`), (b) => b.items[0].provider.rating?.count === 1],
      [get(`/services/${w.serviceId}/overview`), (b) => b.reviews.length === 1 && b.rating?.count === 1]
    ]
  },
  {
    write: "PATCH /users/me (a reviewer's name)",
    setup: (w) => Effect.asVoid(send(w.client.as(json("POST", "/reviews", { booking_id: w.bookingId, rating: 5 })))),
    run: (w) => rename(w.client, `Reviewer ${w.word}`),
    reads: (w) => [
      [get(`/services/${w.serviceId}/overview`), (b) => b.reviews[0]?.reviewer.name === `Reviewer ${w.word}`],
      [get(`/users/${w.client.id}`), (b) => b.name === `Reviewer ${w.word}`]
    ]
  },
  {
    write: "POST /reviews/{id}/hide",
    setup: (w) => Effect.asVoid(send(w.client.as(json("POST", "/reviews", { booking_id: w.bookingId, rating: 2 })))),
    run: (w) =>
      Effect.gen(function*() {
        const received = yield* send(get(`/users/${w.provider.id}/reviews`))
        yield* send(w.admin.as(json("POST", `/reviews/${received.body.items[0].id}/hide`, {})))
      }),
    reads: (w) => [
      [get(`/users/${w.provider.id}`), (b) => b.rating === null],
      [get(`/services/${w.serviceId}/overview`), (b) => b.reviews.length === 0]
    ]
  },
  {
    write: "PATCH /users/{id}/status (suspension)",
    run: (w) => Effect.asVoid(send(w.admin.as(json("PATCH", `/users/${w.provider.id}/status`, { status: "suspended" })))),
    reads: (w) => [[get(`/search/providers?q=${w.word}`), (b) => b.items.every((p: any) => p.id !== w.provider.id)]]
  }
]

describe("cached reads", () => {
  it.layer(TestApp.pipe(Layer.provideMerge(Layer.mergeAll(TestDatabase(), TestRedis()))), {
    timeout: "60 seconds",
    excludeTestServices: true
  })("routes", (it) => {
    for (const row of table) {
      it.effect(`after ${row.write}, every read it touches is fresh`, () =>
        Effect.gen(function*() {
          const w = yield* world
          // A provider appears in provider search by name only once they have a service; give the name the word.
          yield* rename(w.provider, `Provider ${w.word}`)
          if (row.setup !== undefined) yield* row.setup(w)
          const reads = row.reads(w)
          // Prime: every read is cached (twice: the second is a hit) and does not show the write yet.
          for (const [request, fresh] of reads) {
            const first = yield* send(request)
            yield* send(request)
            assert.isFalse(fresh(first.body, first.status), `${request.url} showed the write before it happened`)
          }
          yield* row.run(w)
          for (const [request, fresh] of reads) {
            const after = yield* send(request)
            assert.isTrue(fresh(after.body, after.status), `${request.url} is stale after ${row.write}: ${after.text.slice(0, 300)}`)
          }
        }))
    }

    it.effect("a cached read costs no statement; the stats count it; an admin invalidates by tag", () =>
      Effect.gen(function*() {
        const w = yield* world
        assert.strictEqual(yield* statementsOf(get(`/services/${w.serviceId}`)), 1)
        assert.strictEqual(yield* statementsOf(get(`/services/${w.serviceId}`)), 0)
        yield* send(get("/provinces"))
        assert.strictEqual(yield* statementsOf(get("/provinces")), 0)
        const stats = yield* send(w.admin.as(get("/ops/stats")))
        assert.strictEqual(stats.body.cache.backend, "redis")
        assert.isAtLeast(stats.body.cache.entities.service.hits, 1)
        assert.isAbove(stats.body.cache.hit_ratio, 0)
        assert.isNumber(stats.body.cache.redis.used_memory_bytes)

        const sql = yield* SqlClient
        yield* send(get("/provinces/ON"))
        yield* sql`UPDATE canadian_provinces SET name = 'Ontario (test)' WHERE code = 'ON'`
        assert.strictEqual((yield* send(get("/provinces/on"))).body.name, "Ontario")
        const forbidden = yield* send(w.client.as(json("POST", "/ops/cache/invalidate", { tags: ["provinces"] })))
        assert.strictEqual(forbidden.status, 403)
        assert.strictEqual((yield* send(w.admin.as(json("POST", "/ops/cache/invalidate", { tags: ["provinces"] })))).status, 204)
        assert.strictEqual((yield* send(get("/provinces/on"))).body.name, "Ontario (test)")
        assert.strictEqual((yield* send(w.admin.as(json("POST", "/ops/cache/invalidate", { tags: [] })))).status, 400)
        yield* sql`UPDATE canadian_provinces SET name = 'Ontario' WHERE code = 'ON'`
        yield* send(w.admin.as(json("POST", "/ops/cache/invalidate", { tags: ["all"] })))
        assert.strictEqual((yield* send(get("/provinces/on"))).body.name, "Ontario")
      }))
  })
})
