/**
 * The composite reads through the real routes: what each overview and a
 * booking's detail carry, who may read them, and their query budgets — the
 * same statement count whatever the number of bookings, orders and reviews —
 * plus the budgets of the main list endpoints.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Tracer } from "effect"
import { HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql/SqlClient"
import type { UserId } from "../../src/domain/User.ts"
import { JobQueue } from "../../src/infra/JobQueue.ts"
import * as RequestScope from "../../src/infra/RequestScope.ts"
import { Overviews } from "../../src/overviews/Overviews.ts"
import { insertAccount, insertBooking, insertService } from "../utils/fixtures.ts"
import { send, statementsOf, userWithToken, withToken } from "../utils/Http.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { NoCache, TestApp, TestRedis } from "../utils/TestInfra.ts"
import { recordingTracer } from "../utils/Spans.ts"

const get = (path: string) => HttpClientRequest.get(path)

const SIZES = [0, 1, 10, 100, 500]

/** Completed bookings of `clientIds` with `providerId`, each reviewed by its client (`rating`). */
const reviewed = (providerId: string, serviceId: string, clientIds: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    yield* sql`
      WITH done AS (
        INSERT INTO bookings (client_id, provider_id, service_id, period, status, total_amount, platform_fee)
        SELECT c, ${providerId}, ${serviceId},
               tstzrange(now() - (n + 1) * interval '1 day', now() - (n + 1) * interval '1 day' + interval '1 hour', '[)'),
               'completed', 25.00, 2.50
        FROM unnest(${clientIds}::uuid[]) WITH ORDINALITY AS t(c, n)
        RETURNING id, client_id
      )
      INSERT INTO reviews (booking_id, reviewer_id, reviewee_id, direction, rating, comment)
      SELECT id, client_id, ${providerId}, 'client_to_provider', 4, 'Lovely walks, on time' FROM done`
  })

describe("overviews", () => {
  it.layer(TestApp.pipe(Layer.provideMerge(Layer.mergeAll(TestDatabase(), TestRedis()))), {
    timeout: "120 seconds",
    excludeTestServices: true
  })("routes", (it) => {
    it.effect("the user overview: the account, its services, bookings with their parties, orders with payments, messages", () =>
      Effect.gen(function*() {
        const account = yield* insertAccount({ bookings: 3, orders: 2 })
        const client = yield* withToken(account.client as UserId, "client")
        const response = yield* send(client.as(get(`/users/${client.id}/overview`)))
        assert.strictEqual(response.status, 200)
        const body = response.body
        assert.strictEqual(body.user.id, client.id)
        assert.strictEqual(body.user.email.endsWith("@example.com"), true)
        assert.deepStrictEqual(body.services, [])
        assert.strictEqual(body.bookings.length, 3)
        for (const booking of body.bookings) {
          assert.strictEqual(booking.client.id, client.id)
          assert.strictEqual(booking.provider.id, booking.provider_id)
          assert.strictEqual(booking.service.id, booking.service_id)
          assert.strictEqual(booking.service.provider.id, booking.provider_id)
        }
        assert.strictEqual(body.orders.length, 2)
        for (const order of body.orders) {
          assert.deepStrictEqual(order.items.map((line: { quantity: number }) => line.quantity), [2])
          assert.deepStrictEqual(order.payments.map((p: { order_id: string; status: string }) => [p.order_id, p.status]), [[order.id, "held"]])
        }
        assert.deepStrictEqual(body.recent_messages.map((m: { content: string }) => m.content).sort(), ["A question", "Hello", "Hi there"])

        // A provider's overview lists their services and the bookings they take.
        const provider = yield* withToken(account.providers[0] as UserId, "provider")
        const mine = yield* send(provider.as(get(`/users/${provider.id}/overview`)))
        assert.strictEqual(mine.status, 200)
        assert.strictEqual(mine.body.services.length, 2)
        assert.isTrue(mine.body.bookings.every((b: { provider_id: string }) => b.provider_id === provider.id))
        assert.isAbove(mine.body.bookings.length, 0)
      }))

    it.effect("only that user or an admin reads it; an unknown or malformed id is answered plainly", () =>
      Effect.gen(function*() {
        const owner = yield* userWithToken("client")
        const other = yield* userWithToken("client")
        const admin = yield* userWithToken("admin")
        const forbidden = yield* send(other.as(get(`/users/${owner.id}/overview`)))
        assert.deepStrictEqual([forbidden.status, forbidden.body._tag], [403, "Forbidden"])
        assert.strictEqual((yield* send(admin.as(get(`/users/${owner.id}/overview`)))).status, 200)
        const unknown = yield* send(admin.as(get(`/users/${crypto.randomUUID()}/overview`)))
        assert.deepStrictEqual([unknown.status, unknown.body._tag], [404, "NotFound"])
        assert.strictEqual((yield* send(admin.as(get("/users/not-a-uuid/overview")))).status, 400)
        assert.strictEqual((yield* send(get(`/users/${owner.id}/overview`))).status, 401)
      }))

    it.effect("the user overview costs 8 statements, authentication included, for 1 to 500 bookings and orders", () =>
      Effect.gen(function*() {
        const admin = yield* userWithToken("admin")
        const measured: Array<readonly [number, number, number]> = []
        for (const n of SIZES) {
          const account = yield* insertAccount({ bookings: n, orders: n })
          const client = yield* withToken(account.client as UserId, "client")
          const response = yield* send(client.as(get(`/users/${client.id}/overview`)))
          assert.deepStrictEqual([response.body.bookings.length, response.body.orders.length], [n, n])
          measured.push([
            n,
            yield* statementsOf(client.as(get(`/users/${client.id}/overview`))),
            yield* statementsOf(admin.as(get(`/users/${client.id}/overview`)))
          ])
        }
        // Authentication; the services, bookings, orders and messages of the account; then the users, the
        // bookings' services and the orders' payments. Without bookings or orders the last two have nothing to look up.
        assert.deepStrictEqual(measured, SIZES.map((n) => [n, n === 0 ? 6 : 8, n === 0 ? 6 : 8] as const))
      }))

    it.effect("the service overview: provider, rating, latest reviews with their authors; bookings only for the owner or an admin", () =>
      Effect.gen(function*() {
        const provider = yield* userWithToken("provider")
        const admin = yield* userWithToken("admin")
        const stranger = yield* userWithToken("client")
        const serviceId = yield* insertService(provider.id)
        const clients = yield* Effect.forEach(Array.from({ length: 25 }), () => userWithToken("client"))
        yield* reviewed(provider.id, serviceId, clients.map((c) => c.id))
        const sql = yield* SqlClient
        yield* sql`UPDATE users SET rating_sum = 100, rating_count = 25 WHERE id = ${provider.id}`

        const anonymous = yield* send(get(`/services/${serviceId}/overview`))
        assert.strictEqual(anonymous.status, 200)
        assert.strictEqual(anonymous.body.service.id, serviceId)
        assert.strictEqual(anonymous.body.provider.id, provider.id)
        assert.deepStrictEqual(anonymous.body.rating, { average: 4, count: 25 })
        assert.strictEqual(anonymous.body.reviews.length, 20)
        for (const review of anonymous.body.reviews) {
          assert.strictEqual(review.reviewer.id, review.reviewer_id)
          assert.strictEqual(review.reviewee_id, provider.id)
        }
        assert.isUndefined(anonymous.body.bookings)
        assert.isUndefined((yield* send(stranger.as(get(`/services/${serviceId}/overview`)))).body.bookings)
        assert.strictEqual((yield* send(provider.as(get(`/services/${serviceId}/overview`)))).body.bookings.length, 25)
        assert.strictEqual((yield* send(admin.as(get(`/services/${serviceId}/overview`)))).body.bookings.length, 25)
        assert.strictEqual((yield* send(get(`/services/${crypto.randomUUID()}/overview`))).status, 404)
      }))

    it.effect("the service overview costs the same statements for 1 to 25 reviews and bookings", () =>
      Effect.gen(function*() {
        const anonymous: Array<number> = []
        const owner: Array<number> = []
        for (const n of [0, 1, 25]) {
          const provider = yield* userWithToken("provider")
          const serviceId = yield* insertService(provider.id)
          const clients = yield* Effect.forEach(Array.from({ length: n }), () => userWithToken("client"))
          yield* reviewed(provider.id, serviceId, clients.map((c) => c.id))
          anonymous.push(yield* statementsOf(get(`/services/${serviceId}/overview`)))
          owner.push(yield* statementsOf(provider.as(get(`/services/${serviceId}/overview`))))
        }
        // Cold: the service (with its provider), the reviews, their authors (none to look up without reviews).
        // Then the owner: authentication and the service's bookings; the public part comes from the cache.
        assert.deepStrictEqual(anonymous, [2, 3, 3])
        assert.deepStrictEqual(owner, [2, 2, 2])
      }))

    it.effect("a booking's detail: the service, client and provider in two batched statements after the booking", () =>
      Effect.gen(function*() {
        const provider = yield* userWithToken("provider")
        const client = yield* userWithToken("client")
        const serviceId = yield* insertService(provider.id)
        const start = new Date(Date.now() + 3 * 86_400_000)
        const id = yield* insertBooking({
          clientId: client.id, providerId: provider.id, serviceId,
          start: start.toISOString(), end: new Date(start.getTime() + 3_600_000).toISOString()
        })
        const detail = yield* send(client.as(get(`/bookings/${id}`)))
        assert.deepStrictEqual([detail.body.service.id, detail.body.client.id, detail.body.provider.id], [serviceId, client.id, provider.id])
        // Authentication, the booking, the service, both users.
        assert.strictEqual(yield* statementsOf(client.as(get(`/bookings/${id}`))), 4)

        // The booking outlives its service: deleting the service does not hide it.
        assert.strictEqual((yield* send(provider.as(HttpClientRequest.delete(`/services/${serviceId}`)))).status, 204)
        const after = yield* send(client.as(get(`/bookings/${id}`)))
        assert.deepStrictEqual([after.status, after.body.service.id], [200, serviceId])
      }))

    it.effect("the main list endpoints keep their budgets", () =>
      Effect.gen(function*() {
        const account = yield* insertAccount({ bookings: 30, orders: 30 })
        const client = yield* withToken(account.client as UserId, "client")
        const provider = yield* withToken(account.providers[0] as UserId, "provider")
        const budgets: ReadonlyArray<readonly [string, HttpClientRequest.HttpClientRequest, number]> = [
          ["GET /services", get("/services?limit=50"), 1],
          ["GET /services/{id}", get(`/services/${account.services[0]}`), 1],
          ["GET /search/services", get("/search/services?q=dog&limit=50"), 1],
          ["GET /items", get("/items?limit=50"), 1],
          ["GET /users/me", client.as(get("/users/me")), 2],
          ["GET /bookings (client)", client.as(get("/bookings?limit=50")), 2],
          ["GET /bookings (provider)", provider.as(get("/bookings?role=provider&limit=50")), 2],
          ["GET /orders", client.as(get("/orders?limit=50")), 2],
          ["GET /payments", client.as(get("/payments?limit=50")), 2],
          ["GET /messages/conversations", client.as(get("/messages/conversations")), 2],
          ["GET /notifications", client.as(get("/notifications?limit=50")), 2]
        ]
        const measured = yield* Effect.forEach(budgets, ([name, request]) => Effect.map(statementsOf(request), (n) => [name, n] as const))
        assert.deepStrictEqual(measured, budgets.map(([name, , n]) => [name, n] as const))
      }))
  })

  it.layer(Overviews.layer.pipe(Layer.provide([JobQueue.layer, NoCache]), Layer.provideMerge(TestDatabase())), {
    timeout: "60 seconds",
    excludeTestServices: true
  })("tracing", (it) => {
    it.effect("a composite read starts the same spans whatever its size: one per batch, none per lookup", () =>
      Effect.gen(function*() {
        const overviews = yield* Overviews
        const spansPerSize: Array<ReadonlyArray<string>> = []
        const batchSizes: Array<Record<string, unknown>> = []
        for (const n of [1, 10, 100]) {
          const account = yield* insertAccount({ bookings: n, orders: n })
          const { spans, tracer } = recordingTracer()
          const id = account.client as UserId
          yield* overviews.user({ id, role: "client" }, id).pipe(
            Effect.provideService(RequestScope.CurrentRequestScope, RequestScope.make()),
            Effect.provideService(Tracer.Tracer, tracer)
          )
          // A batch's span is its statement's, carrying the name of the lookup it answers.
          const lookups = spans.filter((span) => span.attributes.has("code.function.name"))
          assert.isTrue(lookups.every((span) => span.kind === "client"))
          spansPerSize.push(spans.map((span) => `${span.name} ${span.attributes.get("code.function.name") ?? ""}`).sort())
          batchSizes.push(Object.fromEntries(lookups.map((span) => [span.attributes.get("code.function.name"), span.attributes.get("lookup.batch_size")])))
        }
        assert.deepStrictEqual(spansPerSize[1], spansPerSize[0])
        assert.deepStrictEqual(spansPerSize[2], spansPerSize[0])
        assert.includeMembers(Object.keys(batchSizes[0]!), ["UsersRepo.anyById", "ServicesRepo.anyById", "PaymentsRepo.byOrder"])
        // The 100 orders' payments are one lookup of 100.
        assert.strictEqual(batchSizes[2]!["PaymentsRepo.byOrder"], 100)
      }))
  })
})
