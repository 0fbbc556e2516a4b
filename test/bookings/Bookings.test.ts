/**
 * `/bookings` through the real routes on a cloned database: pricing, every
 * rule in order, the overlap guarantee under 50 concurrent requests, who sees
 * what, the state machine (and its races), history, notifications and the
 * reminder job.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql/SqlClient"
import * as BookingsJobs from "../../src/bookings/Jobs.ts"
import { BookingsRepo } from "../../src/bookings/BookingsRepo.ts"
import { RemindBooking } from "../../src/domain/Job.ts"
import { Transactions } from "../../src/infra/Sql.ts"
import { Notifier } from "../../src/notifications/Notifier.ts"
import { ConfigProvider } from "effect"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import { DeliverNotification } from "../../src/domain/Job.ts"
import { Mailer } from "../../src/infra/Mailer.ts"
import { SmsSender } from "../../src/infra/SmsSender.ts"
import * as NotificationsJobs from "../../src/notifications/Jobs.ts"
import { NotificationsRepo } from "../../src/notifications/NotificationsRepo.ts"
import { insertBooking } from "../utils/fixtures.ts"
import { send, userWithToken } from "../utils/Http.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TestApp, TestRedis } from "../utils/TestInfra.ts"

const HOUR = 3_600_000
const DAY = 24 * HOUR
const midnight = () => new Date(new Date().toISOString().slice(0, 10)).getTime()
/** `day` days from today at `hour` UTC. */
const at = (day: number, hour: number) => new Date(midnight() + day * DAY + hour * HOUR).toISOString()

const post = (path: string, body: unknown = {}) => HttpClientRequest.post(path).pipe(HttpClientRequest.bodyJsonUnsafe(body))
const get = (path: string) => HttpClientRequest.get(path)

/** A verified provider with a service and a slot on day 3, 08:00–18:00, and a client; all in Ontario. */
const marketplace = (service: { readonly type?: string; readonly hourly?: string | null; readonly daily?: string | null } = {}) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    const provider = yield* userWithToken("provider")
    const client = yield* userWithToken("client")
    const [row] = yield* sql<{ id: string }>`
      INSERT INTO services (provider_id, type, title, description, hourly_rate, daily_rate)
      VALUES (${provider.id}, ${service.type ?? "dog_walking"}, 'Dog walks', 'Walks in the park',
              ${service.hourly === undefined ? "25.00" : service.hourly}, ${service.daily ?? null})
      RETURNING id`
    yield* sql`INSERT INTO availability_slots (provider_id, period) VALUES (${provider.id}, tstzrange(${at(3, 8)}, ${at(3, 18)}, '[)'))`
    return { provider, client, serviceId: row!.id }
  })

const book = (client: { readonly as: (r: HttpClientRequest.HttpClientRequest) => HttpClientRequest.HttpClientRequest }, serviceId: string, start: string, end: string, extra: Record<string, unknown> = {}) =>
  send(client.as(post("/bookings", { service_id: serviceId, start_at: start, end_at: end, ...extra })))

describe("bookings", () => {
  it.layer(TestApp.pipe(Layer.provideMerge(Layer.mergeAll(TestDatabase(), TestRedis()))), {
    timeout: "60 seconds",
    excludeTestServices: true
  })("routes", (it) => {
    it.effect("a client books a window inside a slot: priced by the server, recorded, the provider notified", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const { provider, client, serviceId } = yield* marketplace()
        const created = yield* send(client.as(post("/bookings", {
          service_id: serviceId, start_at: at(3, 10), end_at: at(3, 12), notes: "  The dog is called Maple  "
        })).pipe(HttpClientRequest.setHeader("x-request-id", "req-book-1")))
        assert.strictEqual(created.status, 201)
        assert.deepStrictEqual(
          [created.body.status, created.body.total_amount, created.body.platform_fee, created.body.currency, created.body.notes],
          ["pending", "50.00", "5.00", "CAD", "The dog is called Maple"]
        )
        assert.deepStrictEqual([created.body.start_at, created.body.end_at], [at(3, 10), at(3, 12)])
        assert.deepStrictEqual([created.body.client_id, created.body.provider_id, created.body.service_id], [client.id, provider.id, serviceId])
        const history = yield* sql<{ actorId: string; fromStatus: string | null; toStatus: string; requestId: string }>`
          SELECT actor_id, from_status, to_status, request_id FROM booking_history WHERE booking_id = ${created.body.id}`
        assert.deepStrictEqual(history, [{ actorId: client.id, fromStatus: null, toStatus: "pending", requestId: "req-book-1" }])
        const notified = yield* sql<{ type: string; delivery: number }>`
          SELECT n.type, (SELECT count(*)::int FROM jobs j WHERE j.task = 'DeliverNotification' AND j.payload->>'notificationId' = n.id::text) AS delivery
          FROM notifications n WHERE n.user_id = ${provider.id}`
        assert.deepStrictEqual(notified, [{ type: "booking_request", delivery: 1 }])
      }))

    it.effect("the daily rate applies from 8 hours (or without an hourly rate); hourly otherwise, rounded half-up", () =>
      Effect.gen(function*() {
        const both = yield* marketplace({ hourly: "17.35", daily: "120.00" })
        const short = yield* book(both.client, both.serviceId, at(3, 8), new Date(Date.parse(at(3, 9)) + 10 * 60_000).toISOString())
        // 17.35 × 70 / 60 = 20.2416… → 20.24; fee 2.02
        assert.deepStrictEqual([short.status, short.body.total_amount, short.body.platform_fee], [201, "20.24", "2.02"])
        const long = yield* book(both.client, both.serviceId, at(3, 10), at(3, 18))
        assert.deepStrictEqual([long.status, long.body.total_amount, long.body.platform_fee], [201, "120.00", "12.00"])
        const dailyOnly = yield* marketplace({ type: "house_sitting", hourly: null, daily: "80.00" })
        const sitting = yield* book(dailyOnly.client, dailyOnly.serviceId, at(3, 10), at(3, 13))
        assert.deepStrictEqual([sitting.status, sitting.body.total_amount], [201, "80.00"])
      }))

    it.effect("every rule answers 422 with its name, in API.md's order; malformed windows 400; only clients book", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const { provider, client, serviceId } = yield* marketplace()
        yield* sql`INSERT INTO availability_slots (provider_id, period) VALUES
                     (${provider.id}, tstzrange(now() + interval '30 minutes', now() + interval '3 hours', '[)')),
                     (${provider.id}, tstzrange(now() + interval '190 days', now() + interval '190 days 5 hours', '[)')),
                     (${provider.id}, tstzrange(${at(5, 0)}, ${at(5, 23)}, '[)'))`
        const rule = (start: string, end: string) => Effect.map(book(client, serviceId, start, end), (r) => [r.status, r.body.rule])
        const soon = new Date(Date.now() + HOUR).toISOString()
        const far = new Date(Date.now() + 190 * DAY + HOUR).toISOString()
        assert.deepStrictEqual(yield* rule(at(4, 10), at(4, 11)), [422, "outside_availability"])
        assert.deepStrictEqual(yield* rule(soon, new Date(Date.now() + 2 * HOUR).toISOString()), [422, "too_soon"])
        assert.deepStrictEqual(yield* rule(far, new Date(Date.now() + 190 * DAY + 2 * HOUR).toISOString()), [422, "too_far"])
        assert.deepStrictEqual(yield* rule(at(5, 10), at(5, 10).replace("T10:00", "T10:20")), [422, "too_short"])
        assert.deepStrictEqual(yield* rule(at(5, 1), at(5, 14)), [422, "too_long"])
        const backwards = yield* book(client, serviceId, at(3, 12), at(3, 10))
        assert.deepStrictEqual([backwards.status, backwards.body.issues[0].path], [400, ["end_at"]])
        assert.strictEqual((yield* book(client, serviceId, "tomorrow", at(3, 10))).status, 400)
        assert.strictEqual((yield* book(provider, serviceId, at(3, 10), at(3, 11))).status, 403)
        assert.strictEqual((yield* book(client, crypto.randomUUID(), at(3, 10), at(3, 11))).status, 404)

        yield* sql`UPDATE users SET verification_status = 'pending' WHERE id = ${provider.id}`
        assert.deepStrictEqual(yield* rule(at(4, 10), at(4, 11)), [422, "provider_not_verified"], "before availability: the order of API.md")
        yield* sql`UPDATE services SET status = 'inactive' WHERE id = ${serviceId}`
        assert.deepStrictEqual(yield* rule(at(4, 10), at(4, 11)), [422, "service_unavailable"])

        const cleaning = yield* marketplace({ type: "house_cleaning" })
        yield* sql`UPDATE users SET province_code = 'QC' WHERE id = ${cleaning.client.id}`
        const mismatch = yield* book(cleaning.client, cleaning.serviceId, at(3, 10), at(3, 11))
        assert.deepStrictEqual([mismatch.status, mismatch.body._tag, mismatch.body.rule], [422, "BookingRuleViolation", "province_mismatch"])
        const walking = yield* marketplace()
        yield* sql`UPDATE users SET province_code = 'QC' WHERE id = ${walking.client.id}`
        assert.strictEqual((yield* book(walking.client, walking.serviceId, at(3, 10), at(3, 11))).status, 201, "walks need no shared province")
      }))

    it.effect("50 clients racing for overlapping windows of one provider: exactly one 201, every other 409", () =>
      Effect.gen(function*() {
        const { serviceId } = yield* marketplace()
        const clients = yield* Effect.forEach(Array.from({ length: 50 }), () => userWithToken("client"))
        const results = yield* Effect.forEach(
          clients,
          // Three windows, each overlapping the other two.
          (client, i) => book(client, serviceId, at(3, 10 + (i % 3) / 2), at(3, 12 + (i % 3) / 2)),
          { concurrency: "unbounded" }
        )
        const statuses = results.map((r) => r.status).sort()
        assert.deepStrictEqual(statuses, [201, ...Array(49).fill(409)])
        assert.isTrue(results.filter((r) => r.status === 409).every((r) => r.body._tag === "SlotUnavailable"))
      }))

    it.effect("participants and admins see a booking with its service and parties; others 404; lists are the caller's", () =>
      Effect.gen(function*() {
        const { provider, client, serviceId } = yield* marketplace()
        const stranger = yield* userWithToken("client")
        const admin = yield* userWithToken("admin")
        const first = (yield* book(client, serviceId, at(3, 8), at(3, 9))).body
        const second = (yield* book(client, serviceId, at(3, 9), at(3, 10))).body
        for (const viewer of [client, provider, admin]) {
          const detail = yield* send(viewer.as(get(`/bookings/${first.id}`)))
          assert.deepStrictEqual(
            [detail.status, detail.body.service.id, detail.body.client.id, detail.body.provider.id, detail.body.provider.role],
            [200, serviceId, client.id, provider.id, "provider"]
          )
        }
        assert.strictEqual((yield* send(stranger.as(get(`/bookings/${first.id}`)))).status, 404)
        assert.strictEqual((yield* send(get(`/bookings/${first.id}`))).status, 401)

        const mine = yield* send(client.as(get("/bookings?limit=1")))
        assert.deepStrictEqual(mine.body.items.map((b: { id: string }) => b.id), [second.id])
        const next = yield* send(client.as(get(`/bookings?limit=1&cursor=${mine.body.next_cursor}`)))
        assert.deepStrictEqual([next.body.items.map((b: { id: string }) => b.id), next.body.next_cursor], [[first.id], null])
        const asProvider = yield* send(provider.as(get("/bookings?role=provider&status=pending")))
        assert.strictEqual(asProvider.body.items.length, 2)
        assert.strictEqual((yield* send(provider.as(get("/bookings?status=accepted")))).body.items.length, 0)
        assert.deepStrictEqual((yield* send(stranger.as(get("/bookings")))).body.items, [])
        assert.strictEqual((yield* send(client.as(get("/bookings?status=lost")))).status, 400)
      }))

    it.effect("accept schedules the reminder; the wrong party 403, the wrong state 409; cancel drops the reminder", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const { provider, client, serviceId } = yield* marketplace()
        const stranger = yield* userWithToken("provider")
        const booking = (yield* book(client, serviceId, at(3, 10), at(3, 12))).body
        assert.strictEqual((yield* send(client.as(post(`/bookings/${booking.id}/accept`)))).status, 403)
        assert.strictEqual((yield* send(stranger.as(post(`/bookings/${booking.id}/accept`)))).status, 404)
        const accepted = yield* send(provider.as(post(`/bookings/${booking.id}/accept`)))
        assert.deepStrictEqual([accepted.status, accepted.body.status], [200, "accepted"])
        const again = yield* send(provider.as(post(`/bookings/${booking.id}/accept`)))
        assert.deepStrictEqual([again.status, again.body._tag], [409, "InvalidTransition"])
        const [reminder] = yield* sql<{ runAt: Date; status: string }>`
          SELECT run_at, status FROM jobs WHERE task = 'RemindBooking' AND payload->>'bookingId' = ${booking.id}`
        assert.strictEqual(reminder!.runAt.toISOString(), at(2, 10))
        const early = yield* send(provider.as(post(`/bookings/${booking.id}/complete`)))
        assert.deepStrictEqual([early.status, early.body._tag], [409, "InvalidTransition"], "not before it starts")

        const canceled = yield* send(client.as(post(`/bookings/${booking.id}/cancel`, { reason: "  Plans changed " })))
        assert.deepStrictEqual([canceled.status, canceled.body.status, canceled.body.cancellation_reason], [200, "canceled", "Plans changed"])
        const [dropped] = yield* sql<{ status: string }>`SELECT status FROM jobs WHERE task = 'RemindBooking' AND payload->>'bookingId' = ${booking.id}`
        assert.strictEqual(dropped!.status, "canceled")
        const history = yield* sql<{ toStatus: string; actorRole: string }>`
          SELECT to_status, actor_role FROM booking_history WHERE booking_id = ${booking.id} ORDER BY id`
        assert.deepStrictEqual(history.map((h) => `${h.actorRole}:${h.toStatus}`), ["client:pending", "provider:accepted", "client:canceled"])
        const toClient = yield* sql<{ type: string }>`SELECT type FROM notifications WHERE user_id = ${client.id} ORDER BY created_at`
        assert.deepStrictEqual(toClient.map((n) => n.type), ["booking_accepted"])
        const toProvider = yield* sql<{ type: string }>`SELECT type FROM notifications WHERE user_id = ${provider.id} ORDER BY created_at`
        assert.deepStrictEqual(toProvider.map((n) => n.type), ["booking_request", "booking_canceled"])
        // The freed window can be booked again.
        assert.strictEqual((yield* book(client, serviceId, at(3, 10), at(3, 12))).status, 201)
      }))

    it.effect("the provider completes a started booking; an admin any accepted one at any time", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const { provider, client, serviceId } = yield* marketplace()
        const admin = yield* userWithToken("admin")
        const past = yield* insertBooking({
          clientId: client.id, providerId: provider.id, serviceId, start: at(-1, 10), end: at(-1, 12), status: "accepted"
        })
        const done = yield* send(provider.as(post(`/bookings/${past}/complete`)))
        assert.deepStrictEqual([done.status, done.body.status], [200, "completed"])
        assert.strictEqual((yield* send(client.as(post(`/bookings/${past}/cancel`)))).status, 409)
        const future = (yield* book(client, serviceId, at(3, 14), at(3, 16))).body
        yield* sql`UPDATE bookings SET status = 'accepted' WHERE id = ${future.id}`
        const operator = yield* send(admin.as(post(`/bookings/${future.id}/complete`)))
        assert.deepStrictEqual([operator.status, operator.body.status], [200, "completed"])
        const [history] = yield* sql<{ actorRole: string }>`
          SELECT actor_role FROM booking_history WHERE booking_id = ${future.id} AND to_status = 'completed'`
        assert.strictEqual(history!.actorRole, "admin")
      }))

    it.effect("the reminder notifies both parties of an accepted booking, and nobody once it is canceled", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const { provider, client, serviceId } = yield* marketplace()
        const remind = (bookingId: string) =>
          Effect.flatMap(BookingsJobs.tasks, ([task]) => task!.handle(new RemindBooking({ bookingId }), { jobId: "1", attempt: 1, maxAttempts: 5 })).pipe(
            Effect.provide(Layer.mergeAll(BookingsRepo.layer, Notifier.layer, Transactions.layer))
          )
        const reminders = (userId: string) =>
          Effect.map(sql<{ n: number }>`SELECT count(*)::int AS n FROM notifications WHERE user_id = ${userId} AND type = 'booking_reminder'`, (r) => r[0]!.n)
        const booking = (yield* book(client, serviceId, at(3, 10), at(3, 12))).body
        yield* send(provider.as(post(`/bookings/${booking.id}/accept`)))
        yield* remind(booking.id)
        assert.deepStrictEqual([yield* reminders(client.id), yield* reminders(provider.id)], [1, 1])
        yield* send(client.as(post(`/bookings/${booking.id}/cancel`)))
        yield* remind(booking.id)
        assert.deepStrictEqual([yield* reminders(client.id), yield* reminders(provider.id)], [1, 1])
      }))

    it.effect("Idempotency-Key: 10 identical requests at once make one booking and ten identical answers; another body 409", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const { client, serviceId } = yield* marketplace()
        const keyed = (key: string, start: string, end: string) =>
          send(client.as(post("/bookings", { service_id: serviceId, start_at: start, end_at: end })).pipe(
            HttpClientRequest.setHeader("idempotency-key", key)
          ))
        const results = yield* Effect.forEach(Array.from({ length: 10 }), () => keyed("key-1", at(3, 10), at(3, 11)), { concurrency: "unbounded" })
        assert.deepStrictEqual(results.map((r) => r.status), Array(10).fill(201))
        assert.strictEqual(new Set(results.map((r) => r.text)).size, 1, "every answer is the first one")
        assert.strictEqual(results.filter((r) => r.headers["idempotent-replayed"] === "true").length, 9)
        const rows = yield* sql`SELECT 1 FROM bookings WHERE client_id = ${client.id}`
        assert.strictEqual(rows.length, 1)

        const reused = yield* keyed("key-1", at(3, 12), at(3, 13))
        assert.deepStrictEqual([reused.status, reused.body._tag], [409, "IdempotencyKeyReused"])
        // A failed attempt does not keep the key: the corrected request goes through under it.
        const failed = yield* keyed("key-2", at(4, 10), at(4, 11))
        assert.strictEqual(failed.status, 422)
        const retried = yield* keyed("key-2", at(3, 14), at(3, 15))
        assert.deepStrictEqual([retried.status, retried.headers["idempotent-replayed"]], [201, undefined])
        const tooLong = yield* keyed("k".repeat(256), at(3, 16), at(3, 17))
        assert.deepStrictEqual([tooLong.status, tooLong.body.in], [400, "headers"])
        const other = yield* userWithToken("client")
        const theirs = yield* send(other.as(post("/bookings", { service_id: serviceId, start_at: at(3, 16), end_at: at(3, 17) })).pipe(
          HttpClientRequest.setHeader("idempotency-key", "key-1")
        ))
        assert.deepStrictEqual([theirs.status, theirs.headers["idempotent-replayed"]], [201, undefined], "keys are per user")
      }))

    it.effect("each step's notification is delivered by the worker's task: the request to the provider, the acceptance to the client", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const dir = yield* Effect.acquireRelease(
          Effect.promise(() => Fs.mkdtemp(Path.join(Os.tmpdir(), "mh-booking-mail-"))),
          (dir) => Effect.promise(() => Fs.rm(dir, { recursive: true, force: true }))
        )
        const tasks = yield* NotificationsJobs.tasks.pipe(Effect.provide(
          Layer.mergeAll(Mailer.layer, SmsSender.layer, NotificationsRepo.layer).pipe(
            Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ DATA_DIR: dir })))
          )
        ))
        // Runs each pending delivery job's task as the worker would, then takes the job off the queue.
        const deliverPending = Effect.gen(function*() {
          const pending = yield* sql<{ id: string; notificationId: string }>`
            SELECT id, payload->>'notificationId' AS notification_id FROM jobs WHERE task = 'DeliverNotification' AND status = 'pending'`
          for (const job of pending) {
            yield* tasks.find((t) => t.tag === "DeliverNotification")!.handle(new DeliverNotification({ notificationId: job.notificationId }), {
              jobId: job.id, attempt: 1, maxAttempts: 5
            })
            yield* sql`UPDATE jobs SET status = 'canceled', finished_at = now() WHERE id = ${job.id}`
          }
        })
        const mailTo = (userId: string) =>
          Effect.gen(function*() {
            const [user] = yield* sql<{ email: string }>`SELECT email FROM users WHERE id = ${userId}`
            const names = yield* Effect.promise(() => Fs.readdir(Path.join(dir, "outbox")).catch(() => [] as Array<string>))
            const mails = yield* Effect.promise(() => Promise.all(names.map((n) => Fs.readFile(Path.join(dir, "outbox", n), "utf8"))))
            return mails.filter((mail) => mail.includes(`To: ${user!.email}`)).length
          })
        const { provider, client, serviceId } = yield* marketplace()
        const booking = (yield* book(client, serviceId, at(3, 10), at(3, 11))).body
        yield* deliverPending
        assert.deepStrictEqual([yield* mailTo(provider.id), yield* mailTo(client.id)], [1, 0])
        yield* send(provider.as(post(`/bookings/${booking.id}/accept`)))
        yield* deliverPending
        assert.deepStrictEqual([yield* mailTo(provider.id), yield* mailTo(client.id)], [1, 1])
      }))

    it.effect("client and provider canceling at once: exactly one wins, the other 409", () =>
      Effect.gen(function*() {
        const { provider, client, serviceId } = yield* marketplace()
        for (let round = 0; round < 5; round++) {
          const booking = (yield* book(client, serviceId, at(3, 8 + 2 * round), at(3, 9 + 2 * round))).body
          const results = yield* Effect.all([
            send(provider.as(post(`/bookings/${booking.id}/cancel`))),
            send(client.as(post(`/bookings/${booking.id}/cancel`)))
          ], { concurrency: "unbounded" })
          assert.deepStrictEqual(results.map((r) => r.status).sort(), [200, 409])
        }
      }))

    it.effect("accept and cancel racing on one booking: they never both act on the state they saw", () =>
      Effect.gen(function*() {
        const { provider, client, serviceId } = yield* marketplace()
        for (let round = 0; round < 5; round++) {
          const booking = (yield* book(client, serviceId, at(3, 8 + 2 * round), at(3, 9 + 2 * round))).body
          const [accept, cancel] = yield* Effect.all([
            send(provider.as(post(`/bookings/${booking.id}/accept`))),
            send(client.as(post(`/bookings/${booking.id}/cancel`)))
          ], { concurrency: "unbounded" })
          const statuses = [accept.status, cancel.status]
          // Cancel may also follow a won accept: accepted bookings can be canceled.
          assert.isTrue(
            (accept.status === 200 && cancel.status === 200) || statuses.sort().join() === "200,409",
            `accept ${accept.status}, cancel ${cancel.status}`
          )
          const final = yield* send(client.as(get(`/bookings/${booking.id}`)))
          assert.strictEqual(final.body.status, cancel.status === 200 ? "canceled" : "accepted")
        }
      }))
  })
})
