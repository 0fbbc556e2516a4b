/**
 * `/notifications` through the real routes: the caller's list and read
 * marks, preferences with API.md's defaults, admin-sent notifications (with
 * their delivery job) and the delivery log.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql/SqlClient"
import { send, userWithToken } from "../utils/Http.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TestApp, TestRedis } from "../utils/TestInfra.ts"

const post = (path: string, body: unknown = {}) => HttpClientRequest.post(path).pipe(HttpClientRequest.bodyJsonUnsafe(body))
const get = (path: string) => HttpClientRequest.get(path)

describe("notification routes", () => {
  it.layer(TestApp.pipe(Layer.provideMerge(Layer.mergeAll(TestDatabase(), TestRedis()))), {
    timeout: "60 seconds",
    excludeTestServices: true
  })("routes", (it) => {
    it.effect("an admin notifies a user (a delivery job follows); the user lists, reads one, reads all; others 404", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const admin = yield* userWithToken("admin")
        const user = yield* userWithToken("client")
        const other = yield* userWithToken("client")
        const notify = (content: string) => send(admin.as(post("/notifications", { user_id: user.id, type: "order_update", content, channel: "email" })))
        const first = yield* notify("  Your order shipped  ")
        assert.deepStrictEqual([first.status, first.body.content, first.body.channel, first.body.status], [201, "Your order shipped", "email", "unread"])
        const jobs = yield* sql`SELECT 1 FROM jobs WHERE task = 'DeliverNotification' AND payload->>'notificationId' = ${first.body.id}`
        assert.strictEqual(jobs.length, 1)
        yield* notify("Second")
        yield* notify("Third")
        assert.strictEqual((yield* send(user.as(post("/notifications", { user_id: other.id, type: "order_update", content: "x", channel: "in_app" })))).status, 403)
        assert.strictEqual((yield* send(admin.as(post("/notifications", { user_id: crypto.randomUUID(), type: "order_update", content: "x", channel: "in_app" })))).status, 404)
        assert.strictEqual((yield* send(admin.as(post("/notifications", { user_id: user.id, type: "nonsense", content: "x", channel: "in_app" })))).status, 400)

        const page = yield* send(user.as(get("/notifications?limit=2")))
        assert.deepStrictEqual(page.body.items.map((n: { content: string }) => n.content), ["Third", "Second"])
        assert.isString(page.body.next_cursor)
        assert.strictEqual((yield* send(other.as(post(`/notifications/${first.body.id}/read`)))).status, 404)
        assert.strictEqual((yield* send(user.as(post(`/notifications/${first.body.id}/read`)))).status, 204)
        assert.strictEqual((yield* send(user.as(post(`/notifications/${first.body.id}/read`)))).status, 204, "reading twice is fine")
        assert.strictEqual((yield* send(user.as(get("/notifications?status=unread")))).body.items.length, 2)
        assert.strictEqual((yield* send(user.as(post("/notifications/read-all")))).status, 204)
        assert.strictEqual((yield* send(user.as(get("/notifications?status=unread")))).body.items.length, 0)
        assert.strictEqual((yield* send(user.as(get("/notifications?status=read")))).body.items.length, 3)
        assert.deepStrictEqual((yield* send(other.as(get("/notifications")))).body.items, [])
      }))

    it.effect("preferences start at API.md's defaults and PUT replaces all six (missing ones 400)", () =>
      Effect.gen(function*() {
        const user = yield* userWithToken("client")
        const defaults = yield* send(user.as(get("/notifications/preferences")))
        assert.deepStrictEqual(defaults.body, {
          notify_on_new_message: true, notify_on_booking_update: true, notify_on_payment: false,
          notify_on_review_reminder: false, notify_by_email: true, notify_by_sms: false
        })
        const chosen = {
          notify_on_new_message: false, notify_on_booking_update: true, notify_on_payment: true,
          notify_on_review_reminder: true, notify_by_email: false, notify_by_sms: true
        }
        const put = yield* send(user.as(HttpClientRequest.put("/notifications/preferences").pipe(HttpClientRequest.bodyJsonUnsafe(chosen))))
        assert.deepStrictEqual([put.status, put.body], [200, chosen])
        assert.deepStrictEqual((yield* send(user.as(get("/notifications/preferences")))).body, chosen)
        const partial = yield* send(user.as(HttpClientRequest.put("/notifications/preferences").pipe(HttpClientRequest.bodyJsonUnsafe({ notify_by_sms: false }))))
        assert.strictEqual(partial.status, 400)
      }))

    it.effect("admins read a notification's delivery log, oldest first; others 403", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const admin = yield* userWithToken("admin")
        const user = yield* userWithToken("client")
        const created = (yield* send(admin.as(post("/notifications", { user_id: user.id, type: "order_update", content: "Hi", channel: "sms" })))).body
        yield* sql`INSERT INTO notification_deliveries (notification_id, channel, status, attempt, error, created_at) VALUES
          (${created.id}, 'sms', 'failed', 1, 'carrier timeout', now() - interval '1 minute'),
          (${created.id}, 'sms', 'sent', 2, NULL, now())`
        const log = yield* send(admin.as(get(`/notifications/${created.id}/deliveries`)))
        assert.deepStrictEqual(
          log.body.map((d: { channel: string; status: string; attempt: number; error: string | null }) => [d.channel, d.status, d.attempt, d.error]),
          [["sms", "failed", 1, "carrier timeout"], ["sms", "sent", 2, null]]
        )
        assert.strictEqual((yield* send(user.as(get(`/notifications/${created.id}/deliveries`)))).status, 403)
        assert.strictEqual((yield* send(admin.as(get(`/notifications/${crypto.randomUUID()}/deliveries`)))).status, 404)
      }))
  })
})
