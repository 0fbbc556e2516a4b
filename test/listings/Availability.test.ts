/**
 * `/availability` through the real routes on a cloned database.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { HttpClientRequest } from "effect/http"
import { insertBooking, insertService } from "../utils/fixtures.ts"
import { send, userWithToken } from "../utils/Http.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TestApp, TestRedis } from "../utils/TestInfra.ts"

const post = (path: string, body: unknown) => HttpClientRequest.post(path).pipe(HttpClientRequest.bodyJsonUnsafe(body))
const HOUR = 3600_000
/** Whole hours from now, as RFC 3339. */
const at = (hours: number, base = Math.ceil(Date.now() / HOUR) * HOUR + 24 * HOUR) => new Date(base + hours * HOUR).toISOString()

describe("availability", () => {
  it.layer(TestApp.pipe(Layer.provideMerge(Layer.mergeAll(TestDatabase(), TestRedis()))), { timeout: "60 seconds", excludeTestServices: true })(
    "routes",
    (it) => {
      it.effect("a provider publishes half-open slots: touching is fine, overlapping is 409", () =>
        Effect.gen(function*() {
          const provider = yield* userWithToken("provider")
          const slot = (start: number, end: number) => send(provider.as(post("/availability", { start_at: at(start), end_at: at(end) })))
          const first = yield* slot(0, 4)
          assert.strictEqual(first.status, 201)
          assert.deepStrictEqual([first.body.provider_id, first.body.start_at, first.body.end_at, first.body.booked], [provider.id, at(0), at(4), false])
          assert.strictEqual((yield* slot(4, 6)).status, 201, "touching slots do not overlap")
          const overlap = yield* slot(3, 5)
          assert.deepStrictEqual([overlap.status, overlap.body._tag], [409, "AvailabilityOverlap"])
          const other = yield* userWithToken("provider")
          assert.strictEqual((yield* send(other.as(post("/availability", { start_at: at(3), end_at: at(5) })))).status, 201, "another provider's slots are apart")
          const client = yield* userWithToken("client")
          assert.strictEqual((yield* send(client.as(post("/availability", { start_at: at(10), end_at: at(11) })))).status, 403)
        }))

      it.effect("slot rules: 15 min to 24 h, in the future; end before start and bad timestamps are 400", () =>
        Effect.gen(function*() {
          const provider = yield* userWithToken("provider")
          const slot = (start_at: string, end_at: string) => send(provider.as(post("/availability", { start_at, end_at })))
          const soon = Date.now() + HOUR
          for (const [start, end, rule] of [
            [new Date(Date.now() - HOUR).toISOString(), new Date(Date.now() + HOUR).toISOString(), "in_the_past"],
            [new Date(soon).toISOString(), new Date(soon + 14 * 60_000).toISOString(), "too_short"],
            [new Date(soon).toISOString(), new Date(soon + 25 * HOUR).toISOString(), "too_long"]
          ] as const) {
            const response = yield* slot(start, end)
            assert.deepStrictEqual([response.status, response.body._tag, response.body.rule], [422, "AvailabilityRuleViolation", rule])
          }
          assert.strictEqual((yield* slot(new Date(soon).toISOString(), new Date(soon + 15 * 60_000).toISOString())).status, 201, "exactly 15 minutes")
          assert.strictEqual((yield* slot(at(50), at(49))).status, 400)
          const garbage = yield* slot("tomorrow", at(60))
          assert.deepStrictEqual([garbage.status, garbage.body.issues[0].path], [400, ["start_at"]])
        }))

      it.effect("lists by start with booked computed; deleting a slot with a booking inside is 409", () =>
        Effect.gen(function*() {
          const provider = yield* userWithToken("provider")
          const client = yield* userWithToken("client")
          const service = yield* insertService(provider.id)
          const ids: Array<string> = []
          for (const [start, end] of [[8, 10], [0, 4]] as const) {
            ids.push((yield* send(provider.as(post("/availability", { start_at: at(start), end_at: at(end) })))).body.id)
          }
          yield* insertBooking({ clientId: client.id, providerId: provider.id, serviceId: service, start: at(1), end: at(2) })
          const listed = yield* send(HttpClientRequest.get(`/availability?provider_id=${provider.id}`))
          assert.deepStrictEqual(listed.body.map((s: { start_at: string; booked: boolean }) => [s.start_at, s.booked]), [[at(0), true], [at(8), false]])
          const windowed = yield* send(HttpClientRequest.get(`/availability?provider_id=${provider.id}&from=${at(5)}&to=${at(9)}`))
          assert.deepStrictEqual(windowed.body.map((s: { id: string }) => s.id), [ids[0]])
          assert.strictEqual((yield* send(HttpClientRequest.get(`/availability?provider_id=${provider.id}&from=${at(9)}&to=${at(5)}`))).status, 400)
          assert.strictEqual((yield* send(HttpClientRequest.get("/availability"))).status, 400, "provider_id is required")

          const booked = yield* send(provider.as(HttpClientRequest.delete(`/availability/${ids[1]}`)))
          assert.deepStrictEqual([booked.status, booked.body._tag], [409, "SlotHasBookings"])
          assert.strictEqual((yield* send(client.as(HttpClientRequest.delete(`/availability/${ids[0]}`)))).status, 403)
          assert.strictEqual((yield* send(provider.as(HttpClientRequest.delete(`/availability/${ids[0]}`)))).status, 204)
          assert.strictEqual((yield* send(provider.as(HttpClientRequest.delete(`/availability/${ids[0]}`)))).status, 404)
        }))
    }
  )
})
