/**
 * `/messages` through the real routes: sending (and the receiver's
 * notification), booking-bound messages, conversations with unread counts,
 * threads in pages, read receipts.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql/SqlClient"
import { insertBooking, insertService } from "../utils/fixtures.ts"
import { send, userWithToken } from "../utils/Http.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TestApp, TestRedis } from "../utils/TestInfra.ts"

const post = (path: string, body: unknown = {}) => HttpClientRequest.post(path).pipe(HttpClientRequest.bodyJsonUnsafe(body))
const get = (path: string) => HttpClientRequest.get(path)

describe("messages", () => {
  it.layer(TestApp.pipe(Layer.provideMerge(Layer.mergeAll(TestDatabase(), TestRedis()))), {
    timeout: "60 seconds",
    excludeTestServices: true
  })("routes", (it) => {
    it.effect("a message is stored trimmed and the receiver notified with a delivery job; bad ones 400/404", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const ann = yield* userWithToken("client")
        const bob = yield* userWithToken("provider")
        const sent = yield* send(ann.as(post("/messages", { receiver_id: bob.id, content: "  Hello Bob!  " })))
        assert.deepStrictEqual(
          [sent.status, sent.body.sender_id, sent.body.receiver_id, sent.body.content, sent.body.read_at, sent.body.booking_id],
          [201, ann.id, bob.id, "Hello Bob!", null, null]
        )
        const notified = yield* sql<{ type: string; jobs: number }>`
          SELECT n.type, (SELECT count(*)::int FROM jobs j WHERE j.task = 'DeliverNotification' AND j.payload->>'notificationId' = n.id::text) AS jobs
          FROM notifications n WHERE n.user_id = ${bob.id}`
        assert.deepStrictEqual(notified, [{ type: "message_received", jobs: 1 }])
        assert.strictEqual((yield* send(ann.as(post("/messages", { receiver_id: bob.id, content: "   " })))).status, 400)
        assert.strictEqual((yield* send(ann.as(post("/messages", { receiver_id: ann.id, content: "me" })))).status, 400)
        assert.strictEqual((yield* send(ann.as(post("/messages", { receiver_id: crypto.randomUUID(), content: "hi" })))).status, 404)
      }))

    it.effect("with a booking, only between its participants: a stranger's booking 404, a third person 403", () =>
      Effect.gen(function*() {
        const client = yield* userWithToken("client")
        const provider = yield* userWithToken("provider")
        const other = yield* userWithToken("client")
        const serviceId = yield* insertService(provider.id)
        const bookingId = yield* insertBooking({
          clientId: client.id, providerId: provider.id, serviceId,
          start: "2030-01-01T10:00:00Z", end: "2030-01-01T11:00:00Z"
        })
        const about = yield* send(client.as(post("/messages", { receiver_id: provider.id, content: "Gate code 1234", booking_id: bookingId })))
        assert.deepStrictEqual([about.status, about.body.booking_id], [201, bookingId])
        assert.strictEqual((yield* send(client.as(post("/messages", { receiver_id: other.id, content: "x", booking_id: bookingId })))).status, 403)
        assert.strictEqual((yield* send(other.as(post("/messages", { receiver_id: provider.id, content: "x", booking_id: bookingId })))).status, 404)
        const thread = yield* send(provider.as(get(`/messages/booking/${bookingId}`)))
        assert.deepStrictEqual(thread.body.items.map((m: { content: string }) => m.content), ["Gate code 1234"])
        assert.strictEqual((yield* send(other.as(get(`/messages/booking/${bookingId}`)))).status, 404)
      }))

    it.effect("conversations: one per person, latest first, with unread counts; threads page newest first; read receipts", () =>
      Effect.gen(function*() {
        const me = yield* userWithToken("client")
        const a = yield* userWithToken("provider")
        const b = yield* userWithToken("provider")
        const fromA1 = (yield* send(a.as(post("/messages", { receiver_id: me.id, content: "a1" })))).body
        yield* send(a.as(post("/messages", { receiver_id: me.id, content: "a2" })))
        yield* send(me.as(post("/messages", { receiver_id: b.id, content: "b1" })))
        const conversations = yield* send(me.as(get("/messages/conversations")))
        assert.deepStrictEqual(
          conversations.body.map((c: { user: { id: string }; last_message: { content: string }; unread_count: number }) =>
            [c.user.id, c.last_message.content, c.unread_count]),
          [[b.id, "b1", 0], [a.id, "a2", 2]]
        )
        const page1 = yield* send(me.as(get(`/messages/direct/${a.id}?limit=1`)))
        const page2 = yield* send(me.as(get(`/messages/direct/${a.id}?limit=1&cursor=${page1.body.next_cursor}`)))
        assert.deepStrictEqual([page1.body.items[0].content, page2.body.items[0].content, page2.body.next_cursor], ["a2", "a1", null])

        assert.strictEqual((yield* send(a.as(post(`/messages/${fromA1.id}/read`)))).status, 403, "the sender cannot mark it read")
        assert.strictEqual((yield* send(b.as(post(`/messages/${fromA1.id}/read`)))).status, 404)
        assert.strictEqual((yield* send(me.as(post(`/messages/${fromA1.id}/read`)))).status, 204)
        const after = yield* send(me.as(get("/messages/conversations")))
        assert.strictEqual(after.body.find((c: { user: { id: string } }) => c.user.id === a.id).unread_count, 1)
        const readOne = (yield* send(a.as(get(`/messages/direct/${me.id}`)))).body.items.find((m: { id: string }) => m.id === fromA1.id)
        assert.isNotNull(readOne.read_at)
      }))
  })
})
