/**
 * Hostile input (API.md "validation", "errors", "ids"): property-based
 * requests against the real routes on a cloned database prove that
 *
 * - every JSON-body route (each POST/PUT/PATCH with a body), called with a
 *   token of a role allowed to call it, answers a 400 with the error envelope
 *   `{_tag, message}` to bodies that are invalid by construction: random JSON
 *   values that are not objects, valid bodies mutated with one field of the
 *   wrong type (numbers as strings, booleans as numbers, objects and arrays
 *   where strings belong, invalid UUIDs and timestamps, 100 kB strings over a
 *   field's limit) plus random extra fields, SQL metacharacters, traversal
 *   sequences and unicode edge cases (lone surrogates, NUL, RTL marks, emoji)
 *   in the other fields; non-JSON text; an empty body; 10,000 levels of
 *   nesting; a `text/plain` body answers 415 `UnsupportedMediaType` and one
 *   over 1 MiB 413 `PayloadTooLarge`; a NUL in otherwise valid text, which
 *   Postgres cannot store, 400 naming it;
 * - `{id}` path parameters with SQL metacharacters, traversal sequences,
 *   invalid UUIDs answer 400 (values over the router's 100 characters, up to
 *   5,000, a 404 "No route" envelope), and unknown
 *   well-formed ids 404 `NotFound` (pages about an id excepted: empty), never 5xx;
 * - query parameters (uuid filters, enums, limits, cursors, numbers,
 *   timestamps) with the same values answer 400; free-text `q` is data, not
 *   SQL, and answers 200 with a page;
 * - nothing is written (row counts of every table are unchanged) and the
 *   process stays healthy (`/health/ready` 200, a valid request still works).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql/SqlClient"
import { send, type TestResponse, userWithToken } from "../utils/Http.ts"
import { insertBooking, insertItem, insertService } from "../utils/fixtures.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TestApp, TestRedis } from "../utils/TestInfra.ts"

const RUNS = 40

/** JSON text of a value (what `JSON.stringify` writes). */
const toJson: (value: unknown) => string = Schema.encodeSync(Schema.fromJsonString(Schema.Unknown))

// ---------------------------------------------------------------- hostile values

const HUGE = "A".repeat(100_000)
const SQL = ["' OR 1=1 --", "'; DROP TABLE users; --", "1; SELECT pg_sleep(10)", "\" OR \"\"=\"", "%' OR '%'='", "$1", "\\'; --", "1 UNION SELECT * FROM users"]
const TRAVERSAL = ["../../etc/passwd", "..\\..\\windows\\win.ini", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "....//....//", "/etc/passwd\u0000.png", "file:///etc/passwd"]
const UNICODE = ["\u0000", "\u202eevil\u202c", "😀🇨🇦👩‍👩‍👧", "\u200b\u200d\ufeff", "e\u0301\u0301\u0301", "\uffff\ufffe", "Ω≈ç√", "\u0085\u2028\u2029"]
const BAD_UUIDS = ["not-a-uuid", "00000000-0000-0000-0000-00000000000", "00000000-0000-0000-0000-0000000000000", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz", "{00000000-0000-0000-0000-000000000000}", "-1", "null", "undefined", "[object Object]"]
/** Strings that are never a UUID, a timestamp, a decimal amount, an enum value, a limit, a cursor or a job id. */
const HOSTILE = [...SQL, ...TRAVERSAL, ...UNICODE, ...BAD_UUIDS, HUGE.slice(0, 5_000)]

/** Wrong values for a field of each kind: each one alone makes the body invalid. */
const wrong = {
  /** a bounded string (every such field has a limit under 100 kB) */
  str: [42, -1.5, true, false, [], ["a"], {}, { $gt: "" }, HUGE],
  /** a required bounded string (`null` decodes as "absent" for optional fields, so only required ones get it) */
  strNN: [null, 42, true, [], ["a"], {}, { $ne: null }, HUGE],
  // "0" is no UUID, but it is a price: it stays out of HOSTILE, which query parameters of every type draw from.
  uuid: [...HOSTILE, "0", 1, true, [], {}, ["00000000-0000-4000-8000-000000000000"]],
  int: ["1", "5", "1e3", 2.5, -1, 1e12, true, [], {}, "' OR 1=1 --"],
  bool: ["true", "false", 1, 0, "yes", [], {}],
  money: [ "42.505", "4.2e1", "-1.00", "99999999.00", "NaN", "' OR 1=1 --", true],
  timestamp: ["tomorrow", 1767225600000, "2026-13-45T99:00:00Z", "2026-12-01", "2026-12-01T15:00:00", ...SQL, []],
  literal: [...HOSTILE, "CLIENT ", "admin'--", 1, true, [], {}],
  array: ["a", 1, {}, true, [[]], [1], [null]]
} as const
type Kind = keyof typeof wrong

// ---------------------------------------------------------------- routes

interface Fixtures {
  readonly client: { readonly id: string; readonly token: string }
  readonly provider: { readonly id: string; readonly token: string }
  readonly admin: { readonly id: string; readonly token: string }
  readonly serviceId: string
  readonly itemId: string
  readonly bookingId: string
}

interface BodyRoute {
  readonly method: "POST" | "PUT" | "PATCH"
  readonly path: (f: Fixtures) => string
  readonly role: "client" | "provider" | "admin" | null
  /** a valid body, mutated by the properties */
  readonly base: Record<string, unknown>
  /** fields whose wrong value alone is a 400 */
  readonly poison: ReadonlyArray<readonly [string, Kind]>
}

const FUTURE = "2030-01-01T10:00:00.000Z"
const LATER = "2030-01-01T12:00:00.000Z"
const SOME_UUID = "00000000-0000-4000-8000-000000000000"
const ADDRESS = { line1: "1 Main St", city: "Toronto", province_code: "ON", postal_code: "M5V 1A1" }

const bodyRoutes: ReadonlyArray<BodyRoute> = [
  { method: "POST", path: () => "/auth/register", role: null,
    base: { email: "x@example.ca", password: "Maple-Syrup-2026", name: "Jean Dupuis", role: "client", city: "Toronto", postal_code: "M5V 1A1", province_code: "ON" },
    poison: [["email", "strNN"], ["password", "strNN"], ["name", "strNN"], ["role", "literal"], ["province_code", "literal"], ["postal_code", "literal"]] },
  { method: "POST", path: () => "/auth/login", role: null, base: { email: "x@example.ca", password: "Maple-Syrup-2026" },
    poison: [["password", "strNN"]] },
  { method: "POST", path: () => "/auth/refresh", role: null, base: { refresh_token: "abc" }, poison: [["refresh_token", "strNN"]] },
  { method: "POST", path: () => "/auth/logout", role: "client", base: { refresh_token: "abc" }, poison: [["refresh_token", "strNN"]] },
  { method: "POST", path: () => "/auth/verify-email", role: null, base: { token: "abc" }, poison: [["token", "strNN"]] },
  { method: "POST", path: () => "/auth/forgot-password", role: null, base: { email: "x@example.ca" }, poison: [["email", "strNN"]] },
  { method: "POST", path: () => "/auth/reset-password", role: null, base: { token: "abc", new_password: "Maple-Syrup-2026" },
    poison: [["token", "strNN"], ["new_password", "strNN"]] },
  { method: "POST", path: () => "/auth/change-password", role: "client", base: { old_password: "Maple-Syrup-2026", new_password: "Maple-Syrup-2027" },
    poison: [["old_password", "strNN"], ["new_password", "strNN"]] },
  { method: "PATCH", path: () => "/users/me", role: "client", base: { name: "Jean Dupuis", city: "Toronto" },
    poison: [["name", "str"], ["preferred_contact_method", "literal"], ["profile_image_file_id", "uuid"]] },
  { method: "PATCH", path: (f) => `/users/${f.client.id}/status`, role: "admin", base: { status: "active" }, poison: [["status", "literal"]] },
  { method: "PATCH", path: (f) => `/users/${f.provider.id}/verification`, role: "admin", base: { verification_status: "approved" },
    poison: [["verification_status", "literal"]] },
  { method: "POST", path: () => "/services", role: "provider",
    base: { type: "dog_walking", title: "Dog walks", description: "Walks", hourly_rate: "25.00" },
    poison: [["type", "literal"], ["title", "strNN"], ["description", "strNN"], ["hourly_rate", "money"], ["is_featured", "bool"]] },
  { method: "PATCH", path: (f) => `/services/${f.serviceId}`, role: "provider", base: { title: "Dog walks" },
    poison: [["type", "literal"], ["title", "str"], ["is_featured", "bool"], ["daily_rate", "money"], ["status", "literal"]] },
  { method: "POST", path: () => "/availability", role: "provider", base: { start_at: FUTURE, end_at: LATER },
    poison: [["start_at", "timestamp"], ["end_at", "timestamp"]] },
  { method: "POST", path: () => "/items/categories", role: "admin", base: { name: "Scarves" }, poison: [["name", "strNN"], ["description", "str"]] },
  { method: "POST", path: () => "/items", role: "provider", base: { name: "Knitted scarf", price: "30.00", inventory_quantity: 3, tags: ["wool"] },
    poison: [["name", "strNN"], ["price", "money"], ["inventory_quantity", "int"], ["tags", "array"], ["category_id", "uuid"]] },
  { method: "PATCH", path: (f) => `/items/${f.itemId}`, role: "provider", base: { name: "Knitted scarf" },
    poison: [["price", "money"], ["inventory_quantity", "int"], ["tags", "array"], ["name", "str"]] },
  { method: "POST", path: () => "/orders", role: "client", base: { items: [{ item_id: SOME_UUID, quantity: 1 }], shipping_address: ADDRESS },
    poison: [["items", "array"], ["shipping_address", "strNN"]] },
  { method: "POST", path: () => `/orders/${SOME_UUID}/ship`, role: "provider", base: { carrier: "Canada Post", tracking_number: "123" },
    poison: [["carrier", "strNN"], ["tracking_number", "strNN"]] },
  { method: "POST", path: () => "/bookings", role: "client", base: { service_id: SOME_UUID, start_at: FUTURE, end_at: LATER, notes: "hi" },
    poison: [["service_id", "uuid"], ["start_at", "timestamp"], ["end_at", "timestamp"], ["notes", "str"]] },
  { method: "POST", path: (f) => `/bookings/${f.bookingId}/cancel`, role: "client", base: { reason: "changed plans" }, poison: [["reason", "str"]] },
  { method: "POST", path: () => "/payments", role: "client", base: { order_id: SOME_UUID, payment_token: "tok_visa" },
    poison: [["payment_token", "strNN"], ["order_id", "uuid"]] },
  { method: "POST", path: () => `/payments/${SOME_UUID}/refunds`, role: "admin", base: { amount: "1.00", reason: "late" },
    poison: [["amount", "money"], ["reason", "strNN"]] },
  { method: "POST", path: () => "/messages", role: "client", base: { receiver_id: SOME_UUID, content: "Hello" },
    poison: [["receiver_id", "uuid"], ["content", "strNN"], ["booking_id", "uuid"]] },
  { method: "POST", path: () => "/reviews", role: "client", base: { booking_id: SOME_UUID, rating: 5, comment: "Great dog walks" },
    poison: [["booking_id", "uuid"], ["rating", "int"], ["comment", "str"]] },
  { method: "PUT", path: () => "/notifications/preferences", role: "client",
    base: { notify_on_new_message: true, notify_on_booking_update: true, notify_on_payment: false, notify_on_review_reminder: false, notify_by_email: true, notify_by_sms: false },
    poison: [["notify_on_new_message", "bool"], ["notify_by_email", "bool"], ["notify_by_sms", "bool"]] },
  { method: "POST", path: () => "/notifications", role: "admin", base: { user_id: SOME_UUID, type: "order_update", content: "Hi", channel: "in_app" },
    poison: [["user_id", "uuid"], ["type", "literal"], ["content", "strNN"], ["channel", "literal"]] },
  { method: "POST", path: () => "/ops/cache/invalidate", role: "admin", base: { tags: ["services"] }, poison: [["tags", "array"]] }
]

interface PathRoute {
  readonly method: "GET" | "POST" | "DELETE"
  readonly path: (id: string) => string
  readonly role: "client" | "provider" | "admin" | null
}

const jobPath = (id: string) => `/ops/jobs/${id}/retry`
const jobCancelPath = (id: string) => `/ops/jobs/${id}/cancel`

const pathRoutes: ReadonlyArray<PathRoute> = [
  { method: "GET", path: (id) => `/users/${id}`, role: null },
  { method: "GET", path: (id) => `/users/${id}/overview`, role: "admin" },
  { method: "GET", path: (id) => `/users/${id}/reviews`, role: null },
  { method: "GET", path: (id) => `/services/${id}`, role: null },
  { method: "GET", path: (id) => `/services/${id}/overview`, role: null },
  { method: "GET", path: (id) => `/items/${id}`, role: null },
  { method: "GET", path: (id) => `/orders/${id}`, role: "admin" },
  { method: "GET", path: (id) => `/bookings/${id}`, role: "admin" },
  { method: "GET", path: (id) => `/payments/${id}`, role: "admin" },
  { method: "GET", path: (id) => `/payments/${id}/refunds`, role: "admin" },
  { method: "GET", path: (id) => `/files/${id}`, role: "admin" },
  { method: "GET", path: (id) => `/files/${id}/content`, role: "admin" },
  { method: "GET", path: (id) => `/notifications/${id}/deliveries`, role: "admin" },
  { method: "GET", path: (id) => `/messages/direct/${id}`, role: "client" },
  { method: "GET", path: (id) => `/messages/booking/${id}`, role: "admin" },
  { method: "DELETE", path: (id) => `/services/${id}`, role: "provider" },
  { method: "DELETE", path: (id) => `/items/${id}`, role: "provider" },
  { method: "DELETE", path: (id) => `/availability/${id}`, role: "provider" },
  { method: "DELETE", path: (id) => `/files/${id}`, role: "client" },
  { method: "POST", path: (id) => `/bookings/${id}/accept`, role: "provider" },
  { method: "POST", path: (id) => `/bookings/${id}/complete`, role: "admin" },
  { method: "POST", path: (id) => `/orders/${id}/cancel`, role: "client" },
  { method: "POST", path: (id) => `/orders/${id}/deliver`, role: "admin" },
  { method: "POST", path: (id) => `/payments/${id}/release`, role: "admin" },
  { method: "POST", path: (id) => `/reviews/${id}/hide`, role: "admin" },
  { method: "POST", path: (id) => `/messages/${id}/read`, role: "client" },
  { method: "POST", path: (id) => `/notifications/${id}/read`, role: "client" },
  { method: "POST", path: jobPath, role: "admin" },
  { method: "POST", path: jobCancelPath, role: "admin" }
]
const PathIndex = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: pathRoutes.length - 1 }))

const BAD_LIMITS = ["0", "101", "-1", "20.5", "NaN", "Infinity", "1 OR 1=1", "20;DROP TABLE users"]
const VALID_FROM = { from: FUTURE, to: LATER }
/** `[path, parameter, role, other parameters]`: a hostile value of the parameter alone makes the query a 400. */
const typedQueries: ReadonlyArray<readonly [string, string, "client" | "provider" | "admin" | null, Record<string, string>]> = [
  ["/services", "provider_id", null, {}], ["/services", "type", null, {}], ["/services", "featured", null, {}],
  ["/services", "limit", null, {}], ["/services", "cursor", null, {}],
  ["/items", "category_id", null, {}], ["/items", "provider_id", null, {}], ["/items", "limit", null, {}],
  ["/bookings", "role", "client", {}], ["/bookings", "status", "client", {}], ["/bookings", "cursor", "client", {}],
  ["/orders", "status", "client", {}], ["/payments", "limit", "client", {}], ["/payments", "cursor", "client", {}],
  ["/notifications", "status", "client", {}], ["/ops/jobs", "queue", "admin", {}], ["/ops/jobs", "status", "admin", {}],
  ["/availability", "provider_id", null, {}], ["/availability", "from", null, { provider_id: SOME_UUID }],
  ["/search/services", "sort", null, {}], ["/search/services", "min_rate", null, {}], ["/search/services", "type", null, {}],
  ["/search/services", "featured", null, {}], ["/search/services", "cursor", null, {}],
  ["/search/services/available", "from", null, { to: LATER }], ["/search/services/available", "to", null, { from: FUTURE }],
  ["/search/services/available", "type", null, VALID_FROM],
  ["/search/items", "category_id", null, {}], ["/search/items", "min_price", null, {}], ["/search/items", "in_stock", null, {}],
  ["/search/items", "sort", null, {}], ["/search/providers", "min_rating", null, {}], ["/search/providers", "service_type", null, {}],
  ["/search/suggestions", "type", null, { q: "dog" }], ["/search/suggestions", "limit", null, { q: "dog" }],
  ["/users/00000000-0000-4000-8000-000000000000/reviews", "limit", null, {}], ["/messages/direct/00000000-0000-4000-8000-000000000000", "cursor", "client", {}]
]
const QueryIndex = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: typedQueries.length - 1 }))

// ---------------------------------------------------------------- requests

let fixtures: Fixtures | undefined
let before: Record<string, number> | undefined
const tried = { count: 0 }

const request = (method: string, path: string, role: BodyRoute["role"], body?: string, contentType = "application/json") => {
  const f = fixtures!
  let req = HttpClientRequest.make(method as "POST")(path)
  if (role !== null) req = HttpClientRequest.bearerToken(req, f[role].token)
  if (body !== undefined) req = HttpClientRequest.bodyText(req, body, contentType)
  tried.count++
  return send(req)
}

const describeRequest = (method: string, path: string, body?: string) =>
  `${method} ${path.slice(0, 300)} ${body === undefined ? "" : body.slice(0, 300)}`

/** The envelope: one of the 4xx `statuses` with a JSON `{_tag: string, message: string}`. */
const assertEnvelope = (response: TestResponse, what: string, statuses: ReadonlyArray<number>) => {
  const context = `${what} → ${response.status} ${response.text.slice(0, 300)}`
  assert.include(statuses, response.status, context)
  assert.isObject(response.body, context)
  assert.isString(response.body._tag, context)
  assert.isString(response.body.message, context)
  assert.notMatch(response.text, /at .*\.ts:\d+|node_modules|SELECT |INSERT /, context)
}

/** UTF-8 bytes outside the unreserved set percent-encoded (lone surrogates become U+FFFD, as any client would send them). */
const percentEncode = (value: string) =>
  Array.from(new TextEncoder().encode(value), (b) => /[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, "0")}`).join("")

const pick = <A>(values: ReadonlyArray<A>, n: number): A => values[Math.abs(n) % values.length]!

/** A valid body of `route` with hostile strings in its other fields, `extra` fields, and one poisoned field. */
const hostileBody = (route: BodyRoute, seed: { readonly field: number; readonly value: number; readonly noise: number }, extra: Record<string, unknown>) => {
  const [field, kind] = pick(route.poison, seed.field)
  const body: Record<string, unknown> = { ...extra, ...route.base }
  for (const [key, value] of Object.entries(route.base)) {
    // Other string fields carry hostile text half the time (they may still be valid; the poison is what fails).
    if (typeof value === "string" && key !== field && (seed.noise + key.length) % 2 === 0) body[key] = pick(HOSTILE, seed.noise + key.length)
  }
  body[field] = pick(wrong[kind], seed.value)
  return body
}

const Seed = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 1_000_000 }))
const RouteIndex = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: bodyRoutes.length - 1 }))

const countRows = Effect.gen(function*() {
  const sql = yield* SqlClient
  const tables = yield* sql<{ name: string }>`
    SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`
  const counts: Record<string, number> = {}
  for (const { name } of tables) {
    const [row] = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql(name)}`
    counts[name] = row!.n
  }
  return counts
}).pipe(Effect.orDie)

describe("hostile input", () => {
  it.layer(TestApp.pipe(Layer.provideMerge(Layer.mergeAll(TestDatabase(), TestRedis()))), { timeout: "120 seconds", excludeTestServices: true })(
    "routes",
    (it) => {
      it.effect("fixtures: one user of each role, a service, an item, a booking; row counts taken", () =>
        Effect.gen(function*() {
          const [client, provider, admin] = [yield* userWithToken("client"), yield* userWithToken("provider"), yield* userWithToken("admin")]
          const serviceId = yield* insertService(provider.id)
          const itemId = yield* Effect.orDie(insertItem(provider.id, 5))
          const bookingId = yield* Effect.orDie(insertBooking({
            clientId: client.id, providerId: provider.id, serviceId, start: FUTURE, end: LATER
          }))
          fixtures = { client, provider, admin, serviceId, itemId, bookingId }
          before = yield* countRows
          assert.isAbove(Object.keys(before).length, 10)
          assert.strictEqual(before.users, 3)
        }))



      it.effect.prop(
        "a valid body with one field of the wrong type, hostile text and extra fields → 400 envelope",
        { route: RouteIndex, field: Seed, value: Seed, noise: Seed, extra: Schema.JsonObject },
        ({ route: index, field, value, noise, extra }) =>
          Effect.gen(function*() {
            const route = bodyRoutes[index]!
            const body = toJson(hostileBody(route, { field, value, noise }, extra))
            const path = route.path(fixtures!)
            assertEnvelope(yield* request(route.method, path, route.role, body), describeRequest(route.method, path, body), [400])
          }),
        { arbitrary: { runs: RUNS * 3 } }
      )

      it.effect.prop(
        "every route: random non-object JSON values → 400 envelope",
        { value: Schema.Json },
        ({ value }) =>
          Effect.gen(function*() {
            const text = value !== null && typeof value === "object" && !Array.isArray(value) ? toJson([value]) : toJson(value)
            for (const route of bodyRoutes) {
              const path = route.path(fixtures!)
              assertEnvelope(yield* request(route.method, path, route.role, text), describeRequest(route.method, path, text), [400])
            }
          }),
        { arbitrary: { runs: RUNS / 2 } }
      )

      it.effect.prop(
        "every route: raw hostile text (escaped lone surrogates, NUL, __proto__) around a poisoned body → 400 envelope",
        { field: Seed, value: Seed, noise: Seed },
        ({ field, value, noise }) =>
          Effect.gen(function*() {
            for (const route of bodyRoutes) {
              const json = toJson(hostileBody(route, { field, value, noise }, {}))
              // Escapes JSON.stringify never writes: lone surrogates, NUL, and a `__proto__` key.
              const text = `{"\\ud800\\u0000":"\\udfff\\udc00\\u202e","__proto__":{"role":"admin","isAdmin":true},${json.slice(1)}`
              const path = route.path(fixtures!)
              assertEnvelope(yield* request(route.method, path, route.role, text), describeRequest(route.method, path, text), [400])
            }
          }),
        { arbitrary: { runs: RUNS / 4 } }
      )

      it.effect("every route: non-JSON text, an empty body, 10,000 levels of nesting → 400; text/plain → 415; over 1 MiB → 413", () =>
        Effect.gen(function*() {
          const texts = [
            "", "not json", "{", "}", "{'a': 1}", "{\"a\": 1,}", "<xml/>", "NaN", "undefined", "\u0000", "[1e309]", "{\"a\": 1e309", "\"\\ud800\"",
            "[".repeat(10_000) + "]".repeat(10_000), "[" + "{\"a\":".repeat(10_000) + "1" + "}".repeat(10_000) + "]"
          ]
          const tooLarge = toJson({ padding: "x".repeat(2 * 1024 * 1024) })
          for (const route of bodyRoutes) {
            const path = route.path(fixtures!)
            for (const text of texts) {
              assertEnvelope(yield* request(route.method, path, route.role, text), describeRequest(route.method, path, text), [400])
            }
            const json = toJson(route.base)
            const plain = yield* request(route.method, path, route.role, json, "text/plain")
            assertEnvelope(plain, describeRequest(route.method, path, `text/plain ${json}`), [415])
            assert.strictEqual(plain.body._tag, "UnsupportedMediaType")
            const large = yield* request(route.method, path, route.role, tooLarge)
            assertEnvelope(large, describeRequest(route.method, path, "<2 MiB>"), [413])
            assert.strictEqual(large.body._tag, "PayloadTooLarge")
          }
        }))

      it.effect.prop(
        "{id} path parameters: SQL metacharacters, traversal, invalid UUIDs, huge values (percent-encoded, so they stay one segment) → 400 HttpApiDecodeError (404 past the router's 100 characters)",
        { path: PathIndex, hostile: Seed, text: Schema.String, useText: Schema.Boolean },
        ({ path: index, hostile, text, useText }) =>
          Effect.gen(function*() {
            const route = pathRoutes[index]!
            const value = useText ? `x${text}` : pick(HOSTILE, hostile)
            const segment = percentEncode(value)
            const url = route.path(segment)
            const response = yield* request(route.method, url, route.role)
            if (segment.length > 100) {
              // The router matches no path parameter longer than 100 characters: 404 "No route", still the envelope.
              assertEnvelope(response, describeRequest(route.method, url), [404])
              assert.strictEqual(response.body._tag, "NotFound", url)
            } else {
              assertEnvelope(response, describeRequest(route.method, url), [400])
              assert.strictEqual(response.body._tag, "HttpApiDecodeError", url)
            }
          }),
        { arbitrary: { runs: RUNS * 3 } }
      )

      it.effect("{id} path parameters: an unknown well-formed id → 404 NotFound on every route", () =>
        Effect.gen(function*() {
          // Pages about an id, not reads of it, are empty for an unknown one (not 404): the reviews a user
          // received and the direct thread with a user.
          const pages = (r: PathRoute) => r.path("x").endsWith("/reviews") || r.path("x").startsWith("/messages/direct/")
          for (const route of pathRoutes.filter((r) => !pages(r))) {
            const url = route.path(route.path === jobPath || route.path === jobCancelPath ? "999999999" : SOME_UUID)
            const response = yield* request(route.method, url, route.role)
            assertEnvelope(response, describeRequest(route.method, url), [404])
            assert.strictEqual(response.body._tag, "NotFound", url)
          }
        }))

      it.effect.prop(
        "typed query parameters (uuid filters, enums, booleans, numbers, timestamps, limits, cursors) with hostile values → 400",
        { query: QueryIndex, hostile: Seed, text: Schema.String, useText: Schema.Boolean },
        ({ query: index, hostile, text, useText }) =>
          Effect.gen(function*() {
            const [path, param, role, fixed] = typedQueries[index]!
            // A bad limit ("0", "101") can be a good price or rating: limits alone get them.
            const value = useText ? `x${text}` : pick(param === "limit" ? [...HOSTILE, ...BAD_LIMITS] : HOSTILE, hostile)
            const url = `${path}?${new URLSearchParams({ ...fixed, [param]: value })}`
            assertEnvelope(yield* request("GET", url, role), describeRequest("GET", url), [400])
          }),
        { arbitrary: { runs: RUNS * 2 } }
      )

      it.effect.prop(
        "free-text q with SQL metacharacters, traversal and unicode is data: 200 with a page, never 5xx",
        { route: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 2 })), hostile: Seed, text: Schema.String },
        ({ route, hostile, text }) =>
          Effect.gen(function*() {
            const path = ["/search/services", "/search/items", "/search/providers"][route]!
            const q = `${pick(HOSTILE, hostile)}${text}`
            const url = `${path}?${new URLSearchParams({ q })}`
            const response = yield* request("GET", url, null)
            if (q.includes("\u0000") && q.trim().length > 0 && q.trim().length <= 200) {
              // Postgres cannot hold a NUL in text: a 400 naming it, from whichever field carries one.
              assertEnvelope(response, describeRequest("GET", url), [400])
              assert.include(response.body.message, "NUL")
            } else if (q.trim().length === 0 || q.trim().length > 200) {
              // `q` is 1–200 characters once trimmed: otherwise a 400 naming it.
              assertEnvelope(response, describeRequest("GET", url), [400])
              assert.include(response.body.message, "q")
            } else {
              assert.strictEqual(response.status, 200, `${describeRequest("GET", url)} → ${response.status} ${response.text.slice(0, 300)}`)
              assert.isArray(response.body.items)
            }
          }),
        { arbitrary: { runs: RUNS } }
      )

      it.effect("a NUL, which Postgres cannot store, in otherwise valid text or a search → 400 naming it", () =>
        Effect.gen(function*() {
          const f = fixtures!
          const cases: ReadonlyArray<readonly [string, string, BodyRoute["role"], string | undefined]> = [
            ["POST", "/messages", "client", toJson({ receiver_id: f.provider.id, content: "a\u0000b" })],
            ["PATCH", "/users/me", "client", toJson({ city: "a\u0000b" })],
            ["POST", "/auth/login", null, toJson({ email: "a\u0000b@example.ca", password: "Maple-Syrup-2026" })],
            ["GET", `/search/services?${new URLSearchParams({ q: "dog\u0000walks" })}`, null, undefined],
            ["GET", `/search/providers?${new URLSearchParams({ city: "a\u0000b" })}`, null, undefined]
          ]
          for (const [method, path, role, body] of cases) {
            const response = yield* request(method, path, role, body)
            assertEnvelope(response, describeRequest(method, path, body), [400])
            assert.include(response.body.message, "NUL")
          }
        }))

      it.effect("nothing was written, and the process is healthy: /health/ready 200 and valid requests still work", () =>
        Effect.gen(function*() {
          assert.deepStrictEqual(yield* countRows, before)
          const ready = yield* request("GET", "/health/ready", null)
          assert.strictEqual(ready.status, 200, ready.text)
          assert.strictEqual(ready.body.checks.database.status, "up")
          const me = yield* request("GET", "/users/me", "client")
          assert.deepStrictEqual([me.status, me.body.id], [200, fixtures!.client.id])
          const service = yield* request("GET", `/services/${fixtures!.serviceId}`, null)
          assert.deepStrictEqual([service.status, service.body.id], [200, fixtures!.serviceId])
          const login = yield* request("POST", "/auth/login", null, toJson({ email: "nobody@example.ca", password: "Maple-Syrup-2026" }))
          assert.deepStrictEqual([login.status, login.body._tag], [401, "InvalidCredentials"])
          assert.isAbove(tried.count, 1_000)
        }))
    }
  )
})
