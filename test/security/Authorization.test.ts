/**
 * The authorisation matrix of `../shared/API.md`: for every route (a row
 * each, more where a route's answer depends on its input; ids filled from one
 * shared world) and every caller — anonymous, the
 * owning client A, another client B, the owning provider P, another provider
 * Q and an admin — the status is the one API.md's "who" column implies, and
 * no 2xx answer to anonymous, B or Q carries an id of A's or P's private
 * resources (bookings, orders, payments, messages, notifications, private
 * files). Every endpoint of the `Api` definition must have a row, so a new
 * route without an authorisation expectation fails here.
 *
 * Readings where API.md leaves room (a security reviewer's):
 * - anonymous on a route that needs a user → 401; on a public route (or one
 *   with optional authentication) → the public answer.
 * - admin-only routes answer 403 to every authenticated non-admin, whatever
 *   the id: the role check reveals nothing about the resource.
 * - "admin is not a superset … for role-guarded creation routes": admin → 403
 *   on POST /services, /availability, /items, /bookings, /orders.
 * - a participant / admin who can see a resource but may not perform the
 *   action → 403; a caller who may not see it → 404 (the visibility rule).
 *   Four routes whose text in API.md says 403 to non-parties (POST /payments,
 *   POST /messages with a booking, POST /messages/{id}/read, admin's
 *   POST /reviews) answer 404 by that rule: the cells say so.
 * - "admin may read everything": admin → 200 on every private read.
 * - public resources (services, items, slots, user profiles) are visible to
 *   all, so a non-owner's write on them → 403, not 404.
 * Writes that succeed use a fresh resource per call (or are idempotent), so
 * no cell changes what the next one sees.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { HttpClientRequest } from "effect/http"
import { HttpApi } from "effect/http-api"
import { SqlClient } from "effect/sql/SqlClient"
import sharp from "sharp"
import { Api } from "../../src/Api.ts"
import { insertBooking, insertItem, insertService, insertUser, unique } from "../utils/fixtures.ts"
import { send, userWithToken } from "../utils/Http.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TestApp, TestRedis } from "../utils/TestInfra.ts"

const HOUR = 3_600_000
const DAY = 24 * HOUR
const midnight = () => new Date(new Date().toISOString().slice(0, 10)).getTime()
/** `day` days from today at `hour` UTC. */
const at = (day: number, hour: number) => new Date(midnight() + day * DAY + hour * HOUR).toISOString()

const ROLES = ["anon", "A", "B", "P", "Q", "admin"] as const
type Role = typeof ROLES[number]
/**
 * Expected status per caller, in the order of `ROLES`. Where a route's text in
 * API.md says 403 for a caller who is not a party to the resource, the service
 * answers 404 by API.md's general visibility rule (revealing less); those
 * cells say so beside them.
 */
type Expect = readonly [anon: number, A: number, B: number, P: number, Q: number, admin: number]

const json = (method: "POST" | "PATCH" | "PUT", path: string, body: unknown = {}) =>
  HttpClientRequest.make(method)(path).pipe(HttpClientRequest.bodyJsonUnsafe(body))
const get = (path: string) => HttpClientRequest.get(path)
const del = (path: string) => HttpClientRequest.delete(path)

/** A distinct hour for each fresh booking, so none overlaps another of the provider. */
let bookingHour = 0

const text = new TextEncoder().encode("Gate code 4321.\nThe dog is called Maple.\n")
const uploadForm = (fields: Record<string, string>, bytes: Uint8Array, name: string, type: string) => {
  const form = new FormData()
  for (const [key, value] of Object.entries(fields)) form.append(key, value)
  form.append("file", new Blob([bytes as Uint8Array<ArrayBuffer>], { type }), name)
  return HttpClientRequest.post("/files").pipe(HttpClientRequest.bodyFormData(form))
}

/** Every endpoint of the HttpApi definition, as `METHOD /path/:param`. */
const apiEndpoints = () => {
  const endpoints: Array<string> = []
  HttpApi.reflect(Api, {
    onGroup: () => {},
    onEndpoint: ({ endpoint }) => {
      endpoints.push(`${endpoint.method} ${endpoint.path}`)
    }
  })
  return endpoints
}

/** Routes API.md lists that are served beside the HttpApi definition. */
const EXTRA_ROUTES = new Set(["GET /openapi.json", "GET /docs"])

describe("authorisation matrix", () => {
  it.layer(TestApp.pipe(Layer.provideMerge(Layer.mergeAll(TestDatabase(), TestRedis()))), {
    timeout: "120 seconds",
    excludeTestServices: true
  })("every route × every role", (it) => {
    it.effect("each caller gets the status API.md implies, and nobody sees another user's private resources", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient
        const A = yield* userWithToken("client")
        const B = yield* userWithToken("client")
        const P = yield* userWithToken("provider")
        const Q = yield* userWithToken("provider")
        const admin = yield* userWithToken("admin")
        const C = yield* insertUser("client") // a bystander the admin routes act on
        const callers = { A, B, P, Q, admin } as const
        const roleOf = { A: "client", B: "client", P: "provider", Q: "provider", admin: "admin" } as const
        const as = (role: Role, request: HttpClientRequest.HttpClientRequest) =>
          role === "anon" ? request : callers[role].as(request)
        const ok = (what: string, response: { readonly status: number; readonly text: string }, status: number) =>
          response.status === status ? Effect.void : Effect.die(`setup ${what}: ${response.status} ${response.text}`)

        // ---- the world: resources of A (client) and P (provider) ----
        const serviceId = yield* insertService(P.id)
        yield* sql`INSERT INTO availability_slots (provider_id, period) VALUES (${P.id}, tstzrange(${at(3, 8)}, ${at(3, 18)}, '[)'))`
        const itemId = yield* Effect.orDie(insertItem(P.id, 1_000_000))
        const bookingId = yield* Effect.orDie(insertBooking({
          clientId: A.id, providerId: P.id, serviceId, start: at(5, 10), end: at(5, 11)
        }))
        const reviewedBookingId = yield* Effect.orDie(insertBooking({
          clientId: A.id, providerId: P.id, serviceId, start: at(-2, 10), end: at(-2, 11), status: "completed"
        }))
        const [notification] = yield* sql<{ id: string }>`
          INSERT INTO notifications (user_id, type, content) VALUES (${A.id}, 'message_received', 'P sent you a message') RETURNING id`

        const orderBody = {
          items: [{ item_id: itemId, quantity: 1 }],
          shipping_address: { line1: "1 Main St", city: "Toronto", province_code: "ON", postal_code: "M5V 1A1" }
        }
        const freshOrder = Effect.gen(function*() {
          const r = yield* send(A.as(json("POST", "/orders", orderBody)))
          yield* ok("order", r, 201)
          return r.body.id as string
        })
        const pay = (orderId: string) =>
          Effect.gen(function*() {
            const r = yield* send(A.as(json("POST", "/payments", { order_id: orderId, payment_token: "tok_visa" })))
            yield* ok("payment", r, 201)
            return r.body.id as string
          })
        const freshPaidOrder = Effect.tap(freshOrder, pay)
        const freshShippedOrder = Effect.tap(freshPaidOrder, (id) =>
          Effect.flatMap(
            send(P.as(json("POST", `/orders/${id}/ship`, { carrier: "Canada Post", tracking_number: "CP123" }))),
            (r) => ok("ship", r, 200)
          ))
        const freshHeldPayment = Effect.flatMap(freshOrder, pay)
        const freshBooking = (status: "pending" | "accepted" | "completed", past: boolean) => {
          const hour = bookingHour++
          const start = past
            ? new Date(Date.now() - DAY - (hour + 1) * 2 * HOUR)
            : new Date(midnight() + 20 * DAY + hour * 2 * HOUR)
          return Effect.orDie(insertBooking({
            clientId: A.id, providerId: P.id, serviceId, status,
            start: start.toISOString(), end: new Date(start.getTime() + HOUR).toISOString()
          }))
        }
        const upload = (fields: Record<string, string>, bytes: Uint8Array, name: string, type: string) =>
          Effect.gen(function*() {
            const r = yield* send(A.as(uploadForm(fields, bytes, name, type)))
            yield* ok(`upload ${fields.purpose}`, r, 201)
            return r.body.id as string
          })
        const freshDocument = upload({ purpose: "document" }, text, "notes.txt", "text/plain")
        const freshSlot = (day: number) =>
          Effect.map(
            sql<{ id: string }>`INSERT INTO availability_slots (provider_id, period)
              VALUES (${P.id}, tstzrange(${at(day, 8)}, ${at(day, 9)}, '[)')) RETURNING id`,
            (rows) => rows[0]!.id
          )
        const freshJob = (status: "dead" | "pending") =>
          Effect.map(
            status === "dead"
              ? sql<{ id: string }>`INSERT INTO jobs (task, payload, status, attempts, finished_at, last_error)
                  VALUES ('Ping', '{"_tag":"Ping","id":"d"}', 'dead', 5, now(), 'boom') RETURNING id::text AS id`
              : sql<{ id: string }>`INSERT INTO jobs (task, payload, run_at)
                  VALUES ('Ping', '{"_tag":"Ping","id":"p"}', now() + interval '1 day') RETURNING id::text AS id`,
            (rows) => rows[0]!.id
          )

        const orderId = yield* freshOrder
        const paymentId = yield* pay(orderId)
        const messageToA = yield* send(P.as(json("POST", "/messages", { receiver_id: A.id, content: "Hello A" })))
        yield* ok("message P→A", messageToA, 201)
        const messageToP = yield* send(A.as(json("POST", "/messages", { receiver_id: P.id, content: "Hello P" })))
        yield* ok("message A→P", messageToP, 201)
        const documentId = yield* freshDocument
        const attachmentId = yield* upload({ purpose: "message_attachment", message_id: messageToP.body.id }, text, "a.txt", "text/plain")
        const png = yield* Effect.promise(() =>
          sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 20, g: 120, b: 200 } } }).png().toBuffer()
        )
        // Through the route, so the provider's rating summary stays consistent with its reviews.
        const review = yield* send(A.as(json("POST", "/reviews", { booking_id: reviewedBookingId, rating: 5 })))
        yield* ok("review", review, 201)
        const avatarId = yield* upload({ purpose: "avatar" }, png, "me.png", "image/png")
        // A registered account with a password, for the public login and refresh routes.
        const login = { email: `login-${unique()}@example.com`, password: "Sup3r-secret!" }
        yield* ok("register", yield* send(json("POST", "/auth/register", { ...login, name: "Lee Park", role: "client" })), 201)
        const freshRefreshToken = Effect.gen(function*() {
          const r = yield* send(json("POST", "/auth/login", login))
          yield* ok("login", r, 200)
          return r.body.refresh_token as string
        })

        /** Ids of A's and P's private resources: never in a 2xx answer to anonymous, B or Q. */
        const privateIds = [bookingId, orderId, paymentId, messageToA.body.id, messageToP.body.id, notification!.id, documentId, attachmentId]

        type Build = (role: Role) => HttpClientRequest.HttpClientRequest | Effect.Effect<HttpClientRequest.HttpClientRequest, unknown, any> // needs the test layer's services
        /** `standIn`: the route ends its caller's sessions, so a new user of the caller's role sends it and the others keep theirs. */
        const row = (route: string, expect: Expect, build: Build, options: { readonly standIn?: boolean } = {}) => ({
          route,
          expect,
          build,
          standIn: options.standIn ?? false
        })
        const fixed = (request: HttpClientRequest.HttpClientRequest): Build => () => request
        const ALL = (status: number): Expect => [status, status, status, status, status, status]
        const USER = (status: number): Expect => [401, status, status, status, status, status]
        const ADMIN = (status: number): Expect => [401, 403, 403, 403, 403, status]
        /** A distinct slot hour per caller on day 3 (the slot is 08:00–18:00; anonymous's 07:00 is refused first). */
        const hourOf = (role: Role) => 8 + 2 * ROLES.indexOf(role) - 1

        const rows = [
          // System (public)
          row("GET /", ALL(200), fixed(get("/"))),
          row("GET /health/live", ALL(200), fixed(get("/health/live"))),
          row("GET /health/ready", ALL(200), fixed(get("/health/ready"))),
          row("GET /openapi.json", ALL(200), fixed(get("/openapi.json"))),
          row("GET /docs", ALL(200), fixed(get("/docs"))),
          // Auth
          row("POST /auth/register", ALL(201), () =>
            json("POST", "/auth/register", { email: `new-${unique()}@example.com`, password: "Sup3r-secret!", name: "Ann Lee", role: "client" })),
          row("POST /auth/login", ALL(200), fixed(json("POST", "/auth/login", login))),
          row("POST /auth/refresh", ALL(200), () =>
            Effect.map(freshRefreshToken, (token) => json("POST", "/auth/refresh", { refresh_token: token }))),
          row("POST /auth/logout", USER(204), fixed(json("POST", "/auth/logout", { refresh_token: "not-a-token-of-anyone" }))),
          row("POST /auth/logout-all", USER(204), fixed(json("POST", "/auth/logout-all")), { standIn: true }),
          row("GET /auth/sessions", USER(200), fixed(get("/auth/sessions"))),
          // Public, so no 401; an unknown token is a 400 for everyone.
          row("POST /auth/verify-email", ALL(400), fixed(json("POST", "/auth/verify-email", { token: "bogus" }))),
          row("POST /auth/forgot-password", ALL(202), fixed(json("POST", "/auth/forgot-password", { email: "nobody@example.com" }))),
          row("POST /auth/reset-password", ALL(400), fixed(json("POST", "/auth/reset-password", { token: "bogus", new_password: "Sup3r-secret!" }))),
          // The fixtures' users have no real password: past authentication, the old password is wrong (400).
          row("POST /auth/change-password", USER(400), fixed(json("POST", "/auth/change-password", { old_password: "Wr0ng-pass!", new_password: "Sup3r-secret!" }))),
          // Users
          row("GET /users/me", USER(200), fixed(get("/users/me"))),
          row("PATCH /users/me", USER(200), fixed(json("PATCH", "/users/me", { city: "Toronto" }))),
          row("GET /users/:id", ALL(200), fixed(get(`/users/${A.id}`))),
          // Users are publicly visible, so another user's overview is a 403 (as the route's description says).
          row("GET /users/:id/overview", [401, 200, 403, 403, 403, 200], fixed(get(`/users/${A.id}/overview`))),
          row("PATCH /users/:id/status", ADMIN(200), fixed(json("PATCH", `/users/${C}/status`, { status: "active" }))),
          row("PATCH /users/:id/verification", ADMIN(200), fixed(json("PATCH", `/users/${P.id}/verification`, { verification_status: "approved" }))),
          // Provinces
          row("GET /provinces", ALL(200), fixed(get("/provinces"))),
          row("GET /provinces/:code", ALL(200), fixed(get("/provinces/on"))),
          // Services
          row("POST /services", [401, 403, 403, 201, 201, 403], fixed(json("POST", "/services", {
            type: "dog_walking", title: "Evening walks", description: "Walks at dusk", hourly_rate: "20.00"
          }))),
          row("GET /services", ALL(200), fixed(get("/services"))),
          row("GET /services/:id", ALL(200), fixed(get(`/services/${serviceId}`))),
          row("PATCH /services/:id", [401, 403, 403, 200, 403, 403], fixed(json("PATCH", `/services/${serviceId}`, { title: "Dog walks" }))),
          row("DELETE /services/:id", [401, 403, 403, 204, 403, 403], () =>
            Effect.map(insertService(P.id), (id) => del(`/services/${id}`))),
          // Public; its `bookings` only for the owner or admin (the leak check covers B, Q and anonymous).
          row("GET /services/:id/overview", ALL(200), fixed(get(`/services/${serviceId}/overview`))),
          // Availability
          row("POST /availability", [401, 403, 403, 201, 201, 403], (role) =>
            json("POST", "/availability", { start_at: at(60 + ROLES.indexOf(role), 8), end_at: at(60 + ROLES.indexOf(role), 9) })),
          row("GET /availability", ALL(200), fixed(get(`/availability?provider_id=${P.id}`))),
          row("DELETE /availability/:id", [401, 403, 403, 204, 403, 403], (role) =>
            Effect.map(freshSlot(30 + ROLES.indexOf(role)), (id) => del(`/availability/${id}`))),
          // Items
          row("POST /items/categories", ADMIN(201), () => json("POST", "/items/categories", { name: `Category ${unique()}` })),
          row("GET /items/categories", ALL(200), fixed(get("/items/categories"))),
          row("POST /items", [401, 403, 403, 201, 201, 403], fixed(json("POST", "/items", { name: "Mittens", price: "12.00", inventory_quantity: 5 }))),
          row("GET /items", ALL(200), fixed(get("/items"))),
          row("GET /items/:id", ALL(200), fixed(get(`/items/${itemId}`))),
          row("PATCH /items/:id", [401, 403, 403, 200, 403, 403], fixed(json("PATCH", `/items/${itemId}`, { name: "Knitted scarf" }))),
          row("DELETE /items/:id", [401, 403, 403, 204, 403, 403], () =>
            Effect.map(Effect.orDie(insertItem(P.id, 10)), (id) => del(`/items/${id}`))),
          // Search (public)
          row("GET /search/services", ALL(200), fixed(get("/search/services?q=dog"))),
          row("GET /search/services/available", ALL(200), fixed(get(`/search/services/available?from=${at(3, 9)}&to=${at(3, 10)}`))),
          row("GET /search/items", ALL(200), fixed(get("/search/items?q=scarf"))),
          row("GET /search/providers", ALL(200), fixed(get("/search/providers"))),
          row("GET /search/suggestions", ALL(200), fixed(get("/search/suggestions?q=do"))),
          // Bookings
          row("POST /bookings", [401, 201, 201, 403, 403, 403], (role) =>
            json("POST", "/bookings", { service_id: serviceId, start_at: at(3, hourOf(role)), end_at: at(3, hourOf(role) + 1) })),
          row("GET /bookings", USER(200), fixed(get("/bookings"))),
          row("GET /bookings/:id", [401, 200, 404, 200, 404, 200], fixed(get(`/bookings/${bookingId}`))),
          // Admin can see the booking but only complete or cancel it: accept → 403.
          row("POST /bookings/:id/accept", [401, 403, 404, 200, 404, 403], () =>
            Effect.map(freshBooking("pending", false), (id) => json("POST", `/bookings/${id}/accept`))),
          row("POST /bookings/:id/complete", [401, 403, 404, 200, 404, 200], () =>
            Effect.map(freshBooking("accepted", true), (id) => json("POST", `/bookings/${id}/complete`))),
          row("POST /bookings/:id/cancel", [401, 200, 404, 200, 404, 200], () =>
            Effect.map(freshBooking("pending", false), (id) => json("POST", `/bookings/${id}/cancel`, { reason: "Plans changed" }))),
          // Orders
          row("POST /orders", [401, 201, 201, 403, 403, 403], fixed(json("POST", "/orders", orderBody))),
          row("GET /orders", USER(200), fixed(get("/orders"))),
          row("GET /orders/:id", [401, 200, 404, 200, 404, 200], fixed(get(`/orders/${orderId}`))),
          // The client only; the seller and admin can see the order → 403.
          row("POST /orders/:id/cancel", [401, 200, 404, 403, 404, 403], () =>
            Effect.map(freshOrder, (id) => json("POST", `/orders/${id}/cancel`))),
          row("POST /orders/:id/ship", [401, 403, 404, 200, 404, 403], () =>
            Effect.map(freshPaidOrder, (id) => json("POST", `/orders/${id}/ship`, { carrier: "Canada Post", tracking_number: "CP999" }))),
          row("POST /orders/:id/deliver", [401, 403, 404, 200, 404, 200], () =>
            Effect.map(freshShippedOrder, (id) => json("POST", `/orders/${id}/deliver`))),
          // Payments: only the order's payer may pay it; everyone else, whatever their role, gets 404.
          // API.md's text: P, Q and admin 403 (role-guarded creation); the service answers 404: only the payer may pay.
          row("POST /payments", [401, 201, 404, 404, 404, 404], () =>
            Effect.map(freshOrder, (id) => json("POST", "/payments", { order_id: id, payment_token: "tok_visa" }))),
          row("GET /payments", USER(200), fixed(get("/payments"))),
          row("GET /payments/:id", [401, 200, 404, 200, 404, 200], fixed(get(`/payments/${paymentId}`))),
          row("POST /payments/:id/release", ADMIN(200), () =>
            Effect.map(freshHeldPayment, (id) => json("POST", `/payments/${id}/release`))),
          row("POST /payments/:id/refunds", ADMIN(201), () =>
            Effect.map(freshHeldPayment, (id) => json("POST", `/payments/${id}/refunds`, { amount: "1.00", reason: "Goodwill" }))),
          row("GET /payments/:id/refunds", [401, 200, 404, 200, 404, 200], fixed(get(`/payments/${paymentId}/refunds`))),
          // Messages
          row("POST /messages", USER(201), (role) =>
            json("POST", "/messages", { receiver_id: role === "A" ? P.id : A.id, content: "Hi there" })),
          // With a booking: both parties must be its participants. API.md's text says 403 to B, Q and admin; the
          // service answers 404 ("No booking") by the visibility rule. This row and the one above share an endpoint;
          // the enumeration check counts templates, so both are kept.
          row("POST /messages", [401, 201, 404, 201, 404, 404], (role) =>
            json("POST", "/messages", { receiver_id: role === "A" ? P.id : A.id, content: "About the booking", booking_id: bookingId })),
          row("GET /messages/conversations", USER(200), fixed(get("/messages/conversations"))),
          // Always the caller's own thread with that user: B asking for P's thread sees only B↔P (leak check).
          row("GET /messages/direct/:user_id", USER(200), (role) => get(`/messages/direct/${role === "P" ? A.id : P.id}`)),
          row("GET /messages/booking/:booking_id", [401, 200, 404, 200, 404, 200], fixed(get(`/messages/booking/${bookingId}`))),
          // "receiver only, else 403" (API.md's words for this route); marking read twice keeps the first time.
          // API.md's text: B, Q and admin 403; the service answers 404 (only the sender P, who sees it, gets 403).
          row("POST /messages/:id/read", [401, 204, 404, 403, 404, 404], fixed(json("POST", `/messages/${messageToA.body.id}/read`))),
          // Reviews: a participant of a completed booking; anyone else, admin included, gets 404.
          // Admin: the service answers 404 (reviews are written by the booking's parties only; admin is not one).
          row("POST /reviews", [401, 201, 404, 201, 404, 404], () =>
            Effect.map(freshBooking("completed", true), (id) => json("POST", "/reviews", { booking_id: id, rating: 4, comment: "Lovely walks, thank you" }))),
          row("GET /users/:id/reviews", ALL(200), fixed(get(`/users/${P.id}/reviews`))),
          row("POST /reviews/:id/hide", ADMIN(204), fixed(json("POST", `/reviews/${review.body.id}/hide`))),
          // Notifications
          row("GET /notifications", USER(200), fixed(get("/notifications"))),
          row("POST /notifications/read-all", USER(204), fixed(json("POST", "/notifications/read-all"))),
          row("GET /notifications/preferences", USER(200), fixed(get("/notifications/preferences"))),
          row("PUT /notifications/preferences", USER(200), fixed(json("PUT", "/notifications/preferences", {
            notify_on_new_message: true, notify_on_booking_update: true, notify_on_payment: false,
            notify_on_review_reminder: false, notify_by_email: true, notify_by_sms: false
          }))),
          row("POST /notifications", ADMIN(201), fixed(json("POST", "/notifications", {
            user_id: A.id, type: "order_update", content: "Your order shipped", channel: "in_app"
          }))),
          // "owner; else 404" — admin included.
          row("POST /notifications/:id/read", [401, 204, 404, 404, 404, 404], fixed(json("POST", `/notifications/${notification!.id}/read`))),
          row("GET /notifications/:id/deliveries", ADMIN(200), fixed(get(`/notifications/${notification!.id}/deliveries`))),
          // Files: optional authentication, so anonymous on a private file is a 404, not a 401.
          row("POST /files", USER(201), fixed(uploadForm({ purpose: "document" }, text, "notes.txt", "text/plain"))),
          row("GET /files/:id", [404, 200, 404, 404, 404, 200], fixed(get(`/files/${documentId}`))),
          row("GET /files/:id/content", [404, 200, 404, 404, 404, 200], fixed(get(`/files/${documentId}/content`))),
          // A message attachment is also visible to the other party of its message (P).
          row("GET /files/:id", [404, 200, 404, 200, 404, 200], fixed(get(`/files/${attachmentId}`))),
          row("GET /files/:id/content", [404, 200, 404, 200, 404, 200], fixed(get(`/files/${attachmentId}/content`))),
          row("GET /files/:id", ALL(200), fixed(get(`/files/${avatarId}`))),
          row("GET /files/:id/content", ALL(200), fixed(get(`/files/${avatarId}/content`))),
          // The owner only; admin can see the file but may not delete it (403).
          row("DELETE /files/:id", [401, 204, 404, 404, 404, 403], () => Effect.map(freshDocument, (id) => del(`/files/${id}`))),
          // Ops (admin)
          row("GET /ops/jobs", ADMIN(200), fixed(get("/ops/jobs"))),
          row("POST /ops/jobs/:id/retry", ADMIN(204), () => Effect.map(freshJob("dead"), (id) => json("POST", `/ops/jobs/${id}/retry`))),
          row("POST /ops/jobs/:id/cancel", ADMIN(204), () => Effect.map(freshJob("pending"), (id) => json("POST", `/ops/jobs/${id}/cancel`))),
          row("GET /ops/cron", ADMIN(200), fixed(get("/ops/cron"))),
          row("GET /ops/stats", ADMIN(200), fixed(get("/ops/stats"))),
          row("POST /ops/cache/invalidate", ADMIN(204), fixed(json("POST", "/ops/cache/invalidate", { tags: ["all"] })))
        ]

        // Every endpoint of the definition has a row, and every row names a real route.
        const endpoints = apiEndpoints()
        const covered = new Set(rows.map((r) => r.route))
        assert.deepStrictEqual(endpoints.filter((e) => !covered.has(e)), [], "endpoints without an authorisation row")
        assert.deepStrictEqual(
          [...covered].filter((r) => !endpoints.includes(r) && !EXTRA_ROUTES.has(r)),
          [],
          "rows for routes the Api does not define"
        )

        const mismatches: Array<string> = []
        for (const { build, expect, route, standIn } of rows) {
          for (const [index, role] of ROLES.entries()) {
            const built = build(role)
            const request = Effect.isEffect(built) ? yield* Effect.orDie(built) : built
            const authorised = standIn && role !== "anon" ? (yield* userWithToken(roleOf[role])).as(request) : as(role, request)
            const response = yield* Effect.orDie(send(authorised))
            const where = `${role} ${request.method} ${request.url}`
            const expected = expect[index]
            if (response.status !== expected) {
              mismatches.push(`${where} (${route}): expected ${expected}, got ${response.status} ${response.text.slice(0, 160)}`)
            }
            if ((role === "anon" || role === "B" || role === "Q") && response.status < 300) {
              const leaked = privateIds.filter((id) => response.text.includes(id))
              if (leaked.length > 0) mismatches.push(`${where} (${route}): leaks ${leaked.join(", ")}`)
            }
          }
        }
        assert.deepStrictEqual(mismatches, [], `${mismatches.length} of ${rows.length * ROLES.length} cells differ from the expectations`)
      }))
  })
})
