/**
 * `/reviews` through the real routes: who may review what and when, one per
 * booking and direction (also under a race), the provider's rating summary
 * kept by the same statements, moderation.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql/SqlClient"
import { insertBooking, insertService } from "../utils/fixtures.ts"
import { send, userWithToken } from "../utils/Http.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TestApp, TestRedis } from "../utils/TestInfra.ts"

const DAY = 86_400_000
const post = (path: string, body: unknown = {}) => HttpClientRequest.post(path).pipe(HttpClientRequest.bodyJsonUnsafe(body))
const daysAgo = (days: number, hours = 0) => new Date(Date.now() - days * DAY + hours * 3_600_000).toISOString()

const completed = (endedDaysAgo: number) =>
  Effect.gen(function*() {
    const client = yield* userWithToken("client")
    const provider = yield* userWithToken("provider")
    const serviceId = yield* insertService(provider.id)
    const bookingId = yield* insertBooking({
      clientId: client.id, providerId: provider.id, serviceId,
      start: daysAgo(endedDaysAgo, -2), end: daysAgo(endedDaysAgo), status: "completed"
    })
    return { client, provider, serviceId, bookingId }
  })

describe("reviews", () => {
  it.layer(TestApp.pipe(Layer.provideMerge(Layer.mergeAll(TestDatabase(), TestRedis()))), {
    timeout: "60 seconds",
    excludeTestServices: true
  })("routes", (it) => {
    it.effect("both parties review a completed booking; the provider's rating follows the client's reviews", () =>
      Effect.gen(function*() {
        const { client, provider, bookingId } = yield* completed(1)
        const byClient = yield* send(client.as(post("/reviews", { booking_id: bookingId, rating: 4, comment: "  Lovely walks, thank you!  " })))
        assert.deepStrictEqual(
          [byClient.status, byClient.body.direction, byClient.body.reviewee_id, byClient.body.comment, byClient.body.status],
          [201, "client_to_provider", provider.id, "Lovely walks, thank you!", "visible"]
        )
        const byProvider = yield* send(provider.as(post("/reviews", { booking_id: bookingId, rating: 5 })))
        assert.deepStrictEqual([byProvider.status, byProvider.body.direction, byProvider.body.comment], [201, "provider_to_client", null])
        const again = yield* send(client.as(post("/reviews", { booking_id: bookingId, rating: 1 })))
        assert.deepStrictEqual([again.status, again.body._tag], [409, "AlreadyReviewed"])

        const second = yield* completed(2)
        yield* SqlClient.use((sql) => sql`UPDATE bookings SET provider_id = ${provider.id} WHERE id = ${second.bookingId}`)
        yield* send(second.client.as(post("/reviews", { booking_id: second.bookingId, rating: 3 })))
        const profile = yield* send(HttpClientRequest.get(`/users/${provider.id}`))
        assert.deepStrictEqual(profile.body.rating, { average: 3.5, count: 2 })
        const listed = yield* send(HttpClientRequest.get(`/users/${provider.id}/reviews`))
        assert.deepStrictEqual(listed.body.items.map((r: { rating: number }) => r.rating), [3, 4])
        assert.deepStrictEqual((yield* send(HttpClientRequest.get(`/users/${client.id}/reviews`))).body.items.map((r: { rating: number }) => r.rating), [5])
      }))

    it.effect("not completed → 422; past 14 days → 422; a stranger 404; bad ratings and comments 400", () =>
      Effect.gen(function*() {
        const open = yield* completed(1)
        yield* SqlClient.use((sql) => sql`UPDATE bookings SET status = 'accepted' WHERE id = ${open.bookingId}`)
        const early = yield* send(open.client.as(post("/reviews", { booking_id: open.bookingId, rating: 5 })))
        assert.deepStrictEqual([early.status, early.body._tag], [422, "BookingNotCompleted"])
        const old = yield* completed(15)
        const late = yield* send(old.client.as(post("/reviews", { booking_id: old.bookingId, rating: 5 })))
        assert.deepStrictEqual([late.status, late.body._tag], [422, "ReviewWindowClosed"])
        const recent = yield* completed(13)
        assert.strictEqual((yield* send(recent.client.as(post("/reviews", { booking_id: recent.bookingId, rating: 5 })))).status, 201)
        const stranger = yield* userWithToken("client")
        assert.strictEqual((yield* send(stranger.as(post("/reviews", { booking_id: recent.bookingId, rating: 5 })))).status, 404)
        const bad = yield* send(recent.provider.as(post("/reviews", { booking_id: recent.bookingId, rating: 6, comment: "short" })))
        assert.sameMembers(bad.body.issues.map((i: { path: Array<string> }) => i.path[0]), ["rating", "comment"])
        assert.strictEqual((yield* send(recent.provider.as(post("/reviews", { booking_id: recent.bookingId, rating: 2.5 })))).status, 400)
      }))

    it.effect("two reviews of one booking racing: one 201, one 409, counted once", () =>
      Effect.gen(function*() {
        const { client, provider, bookingId } = yield* completed(1)
        const results = yield* Effect.all([1, 2, 3].map((rating) => send(client.as(post("/reviews", { booking_id: bookingId, rating })))), { concurrency: "unbounded" })
        assert.deepStrictEqual(results.map((r) => r.status).sort(), [201, 409, 409])
        assert.strictEqual((yield* send(HttpClientRequest.get(`/users/${provider.id}`))).body.rating.count, 1)
      }))

    it.effect("an admin hides a review: it stops showing and counting; others 403", () =>
      Effect.gen(function*() {
        const { client, provider, bookingId } = yield* completed(1)
        const admin = yield* userWithToken("admin")
        const review = (yield* send(client.as(post("/reviews", { booking_id: bookingId, rating: 2 })))).body
        assert.strictEqual((yield* send(provider.as(post(`/reviews/${review.id}/hide`)))).status, 403)
        assert.strictEqual((yield* send(admin.as(post(`/reviews/${review.id}/hide`)))).status, 204)
        assert.strictEqual((yield* send(admin.as(post(`/reviews/${review.id}/hide`)))).status, 204, "hiding twice changes nothing")
        assert.isNull((yield* send(HttpClientRequest.get(`/users/${provider.id}`))).body.rating)
        assert.deepStrictEqual((yield* send(HttpClientRequest.get(`/users/${provider.id}/reviews`))).body.items, [])
        assert.strictEqual((yield* send(admin.as(post(`/reviews/${crypto.randomUUID()}/hide`)))).status, 404)
      }))
  })
})
