/**
 * `/users` through the real routes on a cloned database: the caller's own
 * profile, public profiles, and the admin's moderation.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql/SqlClient"
import { Cache } from "../../src/infra/Cache.ts"
import { Tags } from "../../src/listings/CachedReads.ts"
import { send, userWithToken, withToken } from "../utils/Http.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TestApp, TestRedis } from "../utils/TestInfra.ts"

const get = (path: string) => HttpClientRequest.get(path)
const patch = (path: string, body: unknown) => HttpClientRequest.patch(path).pipe(HttpClientRequest.bodyJsonUnsafe(body))

const insertFile = (ownerId: string, purpose: "avatar" | "document") =>
  SqlClient.use((sql) =>
    sql<{ id: string }>`INSERT INTO files (owner_id, purpose, content_type, size, storage_name)
      VALUES (${ownerId}, ${purpose}, 'image/png', 10, ${crypto.randomUUID()}) RETURNING id`
  ).pipe(Effect.map((rows) => rows[0]!.id), Effect.orDie)

describe("users", () => {
  it.layer(TestApp.pipe(Layer.provideMerge(Layer.mergeAll(TestDatabase(), TestRedis()))), { timeout: "60 seconds", excludeTestServices: true })(
    "routes",
    (it) => {
      it.effect("GET /users/me needs a token and returns the caller's account", () =>
        Effect.gen(function*() {
          assert.strictEqual((yield* send(get("/users/me"))).status, 401)
          const client = yield* userWithToken("client")
          const me = yield* send(client.as(get("/users/me")))
          assert.strictEqual(me.status, 200)
          assert.strictEqual(me.body.id, client.id)
          assert.deepStrictEqual(Object.keys(me.body).sort(), [
            "city", "created_at", "email", "id", "is_email_verified", "name", "phone_number", "postal_code",
            "preferred_contact_method", "profile_image_file_id", "province_code", "role", "status", "verification_status"
          ])
          assert.deepStrictEqual([me.body.role, me.body.status, me.body.is_email_verified], ["client", "active", false])
          assert.match(me.body.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
        }))

      it.effect("PATCH /users/me trims and normalises, clears with null, and names every bad field", () =>
        Effect.gen(function*() {
          const client = yield* userWithToken("client")
          const updated = yield* send(client.as(patch("/users/me", {
            name: "  Marie Tremblay ", postal_code: "h2x 1y4", province_code: "qc", city: " Montréal ",
            phone_number: "+15145550123", preferred_contact_method: "sms", role: "admin", email: "x@y.z"
          })))
          assert.strictEqual(updated.status, 200)
          assert.deepStrictEqual(
            [updated.body.name, updated.body.postal_code, updated.body.province_code, updated.body.city, updated.body.phone_number],
            ["Marie Tremblay", "H2X1Y4", "QC", "Montréal", "+15145550123"]
          )
          assert.deepStrictEqual([updated.body.role, updated.body.preferred_contact_method], ["client", "sms"], "role and email are not the caller's to change")
          assert.notStrictEqual(updated.body.email, "x@y.z")
          const cleared = yield* send(client.as(patch("/users/me", { phone_number: null })))
          assert.deepStrictEqual([cleared.body.phone_number, cleared.body.city], [null, "Montréal"])

          const bad = yield* send(client.as(patch("/users/me", { name: " A ", postal_code: "12345", province_code: "XX", phone_number: "12" })))
          assert.deepStrictEqual([bad.status, bad.body._tag, bad.body.in], [400, "HttpApiDecodeError", "body"])
          assert.sameMembers(bad.body.issues.map((i: { path: Array<string> }) => i.path.join(".")), ["name", "postal_code", "province_code", "phone_number"])
          const empty = yield* send(client.as(patch("/users/me", {})))
          assert.deepStrictEqual([empty.status, empty.body._tag], [400, "BadRequest"])
          assert.strictEqual((yield* send(client.as(get("/users/me")))).body.name, "Marie Tremblay", "nothing was written by the rejected requests")
        }))

      it.effect("a profile image must be an avatar the caller uploaded", () =>
        Effect.gen(function*() {
          const client = yield* userWithToken("client")
          const other = yield* userWithToken("client")
          const own = yield* insertFile(client.id, "avatar")
          const document = yield* insertFile(client.id, "document")
          const theirs = yield* insertFile(other.id, "avatar")
          for (const file of [document, theirs, crypto.randomUUID()]) {
            const rejected = yield* send(client.as(patch("/users/me", { profile_image_file_id: file })))
            assert.deepStrictEqual([rejected.status, rejected.body._tag, rejected.body.rule], [422, "UserRuleViolation", "profile_image_not_owned"])
          }
          const accepted = yield* send(client.as(patch("/users/me", { profile_image_file_id: own })))
          assert.strictEqual(accepted.body.profile_image_file_id, own)
        }))

      it.effect("GET /users/{id} is public: name, role, place and rating; 404 for deleted or unknown users", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient
          const provider = yield* userWithToken("provider")
          const fresh = yield* send(get(`/users/${provider.id}`))
          assert.strictEqual(fresh.status, 200)
          assert.deepStrictEqual(Object.keys(fresh.body).sort(), ["city", "id", "name", "province_code", "rating", "role"])
          assert.isNull(fresh.body.rating, "no reviews yet")
          // Written behind the service's back: drop the cached profile as the service's own writes do.
          const behindTheBack = Cache.use((cache) => cache.invalidate([Tags.user(provider.id)]))
          yield* sql`UPDATE users SET rating_sum = 14, rating_count = 3 WHERE id = ${provider.id}`
          yield* behindTheBack
          assert.deepStrictEqual((yield* send(get(`/users/${provider.id}`))).body.rating, { average: 4.67, count: 3 })
          yield* sql`UPDATE users SET deleted_at = now() WHERE id = ${provider.id}`
          yield* behindTheBack
          const deleted = yield* send(get(`/users/${provider.id}`))
          assert.deepStrictEqual([deleted.status, deleted.body._tag], [404, "NotFound"])
          assert.strictEqual((yield* send(get(`/users/${crypto.randomUUID()}`))).status, 404)
          assert.strictEqual((yield* send(get("/users/not-a-uuid"))).status, 400)
        }))

      it.effect("an admin suspends a user: their tokens stop working at once, refresh tokens are revoked", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient
          const admin = yield* userWithToken("admin")
          const client = yield* userWithToken("client")
          const forbidden = yield* send(client.as(patch(`/users/${admin.id}/status`, { status: "suspended" })))
          assert.deepStrictEqual([forbidden.status, forbidden.body._tag], [403, "Forbidden"])
          const suspended = yield* send(admin.as(patch(`/users/${client.id}/status`, { status: "suspended" })))
          assert.deepStrictEqual([suspended.status, suspended.body.status], [200, "suspended"])
          assert.strictEqual((yield* send(client.as(get("/users/me")))).status, 401)
          const live = yield* sql<{ n: number }>`
            SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = ${client.id} AND revoked_at IS NULL`
          assert.strictEqual(live[0]!.n, 0)
          // Suspension ended the user's sessions: reactivated, they sign in again.
          assert.strictEqual((yield* send(admin.as(patch(`/users/${client.id}/status`, { status: "active" })))).body.status, "active")
          assert.strictEqual((yield* send(client.as(get("/users/me")))).status, 401)
          assert.strictEqual((yield* send((yield* withToken(client.id, "client")).as(get("/users/me")))).status, 200)
          const own = yield* send(admin.as(patch(`/users/${admin.id}/status`, { status: "suspended" })))
          assert.deepStrictEqual([own.status, own.body.rule], [422, "own_status"])
          assert.strictEqual((yield* send(admin.as(patch(`/users/${crypto.randomUUID()}/status`, { status: "active" })))).status, 404)
          assert.strictEqual((yield* send(admin.as(patch(`/users/${client.id}/status`, { status: "banned" })))).status, 400)
        }))

      it.effect("an admin approves or rejects providers only", () =>
        Effect.gen(function*() {
          const admin = yield* userWithToken("admin")
          const provider = yield* userWithToken("provider")
          const client = yield* userWithToken("client")
          const rejected = yield* send(admin.as(patch(`/users/${provider.id}/verification`, { verification_status: "rejected" })))
          assert.deepStrictEqual([rejected.status, rejected.body.verification_status], [200, "rejected"])
          const notProvider = yield* send(admin.as(patch(`/users/${client.id}/verification`, { verification_status: "approved" })))
          assert.deepStrictEqual([notProvider.status, notProvider.body.rule], [422, "not_a_provider"])
          assert.strictEqual((yield* send(provider.as(patch(`/users/${provider.id}/verification`, { verification_status: "approved" })))).status, 403)
          assert.strictEqual((yield* send(admin.as(patch(`/users/${crypto.randomUUID()}/verification`, { verification_status: "approved" })))).status, 404)
        }))
    }
  )
})
