/**
 * `/auth` through the real routes on a cloned database: registration and its
 * emails, login, refresh-token rotation with reuse detection, sessions.
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer, Result, Schema } from "effect"
import { HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql/SqlClient"
import { SealedVariables } from "../../src/domain/Job.ts"
import { PayloadSeal } from "../../src/infra/Secrets.ts"
import { send } from "../utils/Http.ts"
import { uniqueEmail } from "../utils/fixtures.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TestApp, TestRedis } from "../utils/TestInfra.ts"

const post = (path: string, body?: unknown) =>
  body === undefined ? HttpClientRequest.post(path) : HttpClientRequest.post(path).pipe(HttpClientRequest.bodyJsonUnsafe(body))
const bearer = (token: string) => HttpClientRequest.bearerToken(token)

const PASSWORD = "Maple-Syrup-2026"

const register = (address: string, role: "client" | "provider" = "client") =>
  send(post("/auth/register", { email: address, password: PASSWORD, name: "Jean Dupuis", role }))
const login = (address: string, password = PASSWORD) => send(post("/auth/login", { email: address, password }))

/** The sealed variables of a stored `SendEmail` payload, opened with the service's key. */
const openSealed = (sealed: string) =>
  Effect.map(PayloadSeal.useSync((seal) => seal.open(sealed)), (opened) =>
    Schema.decodeUnknownSync(SealedVariables)(Result.getOrThrow(opened)))

/** The token of the newest email of `template` queued for `to`, read from the job the request enqueued. */
const emailedToken = (to: string, template: "email_verification" | "password_reset") =>
  SqlClient.use((sql) =>
    sql<{ sealed: string }>`SELECT payload->>'sealed' AS sealed FROM jobs
      WHERE task = 'SendEmail' AND payload->>'to' = ${to} AND payload->>'template' = ${template} ORDER BY id DESC LIMIT 1`
  ).pipe(
    Effect.orDie,
    Effect.flatMap((rows) => Effect.forEach(rows, (row) => openSealed(row.sealed))),
    Effect.map((opened) => opened[0]?.token)
  )

describe("auth", () => {
  it.layer(TestApp.pipe(Layer.provideMerge(Layer.mergeAll(TestDatabase(), TestRedis()))), { timeout: "60 seconds", excludeTestServices: true })(
    "routes",
    (it) => {
      it.effect("register creates the account and, in its transaction, a welcome and a verification email", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient
          const address = uniqueEmail("new")
          const created = yield* send(post("/auth/register", {
            email: ` ${address} `, password: PASSWORD, name: " Jean Dupuis ", role: "provider", postal_code: "m5v 2t6", province_code: "on"
          }))
          assert.strictEqual(created.status, 201)
          assert.deepStrictEqual(
            [created.body.email, created.body.name, created.body.role, created.body.verification_status, created.body.postal_code, created.body.is_email_verified],
            [address, "Jean Dupuis", "provider", "pending", "M5V2T6", false]
          )
          const emails = yield* sql<{ template: string; sealed: string | null; payload: string }>`
            SELECT payload->>'template' AS template, payload->>'sealed' AS sealed, payload::text AS payload FROM jobs
            WHERE task = 'SendEmail' AND payload->>'to' = ${address} ORDER BY payload->>'template'`
          assert.deepStrictEqual(emails.map((e) => e.template), ["email_verification", "welcome"])
          const sealed = yield* openSealed(emails[0]!.sealed!)
          const token = sealed.token!
          assert.match(sealed.link!, new RegExp(`/verify-email\\?token=${token}$`))
          assert.notInclude(emails[0]!.payload, token, "the stored payload holds the token sealed, not in the clear")
          const stored = yield* sql<{ hash: string }>`
            SELECT encode(token_hash, 'hex') AS hash FROM user_tokens t JOIN users u ON u.id = t.user_id WHERE u.email = ${address}`
          assert.strictEqual(stored.length, 1)
          assert.notInclude(stored[0]!.hash, Buffer.from(token).toString("hex"), "only a digest of the token is stored")
        }))

      it.effect("register: 409 for a taken email in any case, 400 naming each rule; nothing is written", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient
          const address = uniqueEmail("taken")
          assert.strictEqual((yield* register(address)).status, 201)
          const count = sql<{ users: number; jobs: number }>`
            SELECT (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM jobs) AS jobs`
          const before = (yield* count)[0]
          const taken = yield* register(address.toUpperCase())
          assert.deepStrictEqual([taken.status, taken.body._tag], [409, "EmailTaken"])
          for (const [password, rule] of [["short1!A", null], ["nouppercase1!", "an uppercase letter"], ["NOLOWERCASE1!", "a lowercase letter"],
            ["NoDigits!!", "a digit"], ["NoSymbols123", "a symbol"], ["Sh0rt!", "at least 8 characters"]] as const) {
            const response = yield* send(post("/auth/register", { email: uniqueEmail("p"), password, name: "Jean Dupuis", role: "client" }))
            if (rule === null) {
              assert.strictEqual(response.status, 201, password)
              continue
            }
            assert.deepStrictEqual([response.status, response.body.issues[0]?.path], [400, ["password"]], password)
            assert.include(response.body.message, rule)
          }
          const admin = yield* send(post("/auth/register", { email: uniqueEmail("a"), password: PASSWORD, name: "Jean Dupuis", role: "admin" }))
          assert.deepStrictEqual([admin.status, admin.body.issues[0]?.path], [400, ["role"]])
          const bad = yield* send(post("/auth/register", { email: "not-an-email", password: PASSWORD, name: "J", role: "client", postal_code: "123" }))
          assert.sameMembers(bad.body.issues.map((i: { path: Array<string> }) => i.path[0]), ["email", "name", "postal_code"])
          const after = (yield* count)[0]
          assert.deepStrictEqual(after, { users: before!.users + 1, jobs: before!.jobs + 2 }, "only the one valid registration wrote anything")
        }))

      it.effect("login: a token pair that works; the same 401 for a wrong password or an unknown email; 403 when suspended", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient
          const address = uniqueEmail("login")
          yield* register(address)
          const ok = yield* login(address.toUpperCase())
          assert.strictEqual(ok.status, 200)
          assert.deepStrictEqual([ok.body.token_type, ok.body.expires_in], ["bearer", 1800])
          assert.isAtLeast(ok.body.refresh_token.length, 43)
          const me = yield* send(HttpClientRequest.get("/users/me").pipe(bearer(ok.body.access_token)))
          assert.deepStrictEqual([me.status, me.body.email], [200, address])
          const wrongPassword = yield* login(address, "Wrong-Password-1")
          const unknown = yield* login(uniqueEmail("nobody"))
          assert.deepStrictEqual([wrongPassword.status, wrongPassword.body], [401, { _tag: "InvalidCredentials", message: "Wrong email or password" }])
          assert.deepStrictEqual([unknown.status, unknown.body], [wrongPassword.status, wrongPassword.body])
          yield* sql`UPDATE users SET status = 'suspended' WHERE email = ${address}`
          const suspended = yield* login(address)
          assert.deepStrictEqual([suspended.status, suspended.body._tag], [403, "AccountSuspended"])
        }))

      it.effect("refresh rotates; presenting a rotated token revokes its whole family", () =>
        Effect.gen(function*() {
          const address = uniqueEmail("refresh")
          yield* register(address)
          const first = (yield* login(address)).body
          const second = yield* send(post("/auth/refresh", { refresh_token: first.refresh_token }))
          assert.strictEqual(second.status, 200)
          assert.notStrictEqual(second.body.refresh_token, first.refresh_token)
          const reused = yield* send(post("/auth/refresh", { refresh_token: first.refresh_token }))
          assert.deepStrictEqual([reused.status, reused.body._tag], [401, "Unauthorized"])
          const afterReuse = yield* send(post("/auth/refresh", { refresh_token: second.body.refresh_token }))
          assert.strictEqual(afterReuse.status, 401, "the token issued by the rotation is revoked with its family")
          const other = (yield* login(address)).body
          assert.strictEqual((yield* send(post("/auth/refresh", { refresh_token: other.refresh_token }))).status, 200, "another login's family is untouched")
          assert.strictEqual((yield* send(post("/auth/refresh", { refresh_token: "made-up" }))).status, 401)
        }))

      it.effect("verify-email: the emailed token verifies once; unknown, used and expired tokens are 400", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient
          const address = uniqueEmail("verify")
          yield* register(address)
          const token = (yield* emailedToken(address, "email_verification"))!
          assert.strictEqual((yield* send(post("/auth/verify-email", { token }))).status, 204)
          const tokens = (yield* login(address)).body
          assert.isTrue((yield* send(HttpClientRequest.get("/users/me").pipe(bearer(tokens.access_token)))).body.is_email_verified)
          const again = yield* send(post("/auth/verify-email", { token }))
          assert.deepStrictEqual([again.status, again.body._tag], [400, "InvalidToken"])
          assert.strictEqual((yield* send(post("/auth/verify-email", { token: "nope" }))).status, 400)
          const late = uniqueEmail("late")
          yield* register(late)
          const lateToken = (yield* emailedToken(late, "email_verification"))!
          yield* sql`UPDATE user_tokens SET created_at = now() - interval '2 days', expires_at = now() - interval '1 day'
                     WHERE user_id = (SELECT id FROM users WHERE email = ${late})`
          assert.strictEqual((yield* send(post("/auth/verify-email", { token: lateToken }))).status, 400, "expired")
        }))

      it.effect("forgot / reset password: same 202 for any email; the token resets once and signs out everywhere", () =>
        Effect.gen(function*() {
          const address = uniqueEmail("reset")
          yield* register(address)
          const session = (yield* login(address)).body
          const known = yield* send(post("/auth/forgot-password", { email: address }))
          const unknown = yield* send(post("/auth/forgot-password", { email: uniqueEmail("ghost") }))
          assert.deepStrictEqual([known.status, known.text], [202, unknown.text])
          assert.strictEqual(unknown.status, 202)
          assert.isUndefined(yield* emailedToken(uniqueEmail("ghost"), "password_reset"))
          const token = (yield* emailedToken(address, "password_reset"))!
          const weak = yield* send(post("/auth/reset-password", { token, new_password: "weak" }))
          assert.strictEqual(weak.status, 400)
          const NEW = "Poutine-Forever-9"
          assert.strictEqual((yield* send(post("/auth/reset-password", { token, new_password: NEW }))).status, 204)
          assert.strictEqual((yield* send(post("/auth/reset-password", { token, new_password: NEW }))).body._tag, "InvalidToken", "single use")
          assert.strictEqual((yield* send(post("/auth/refresh", { refresh_token: session.refresh_token }))).status, 401, "sessions are revoked")
          assert.strictEqual((yield* login(address)).status, 401, "the old password no longer works")
          assert.strictEqual((yield* login(address, NEW)).status, 200)
        }))

      it.effect("change-password: 400 for a wrong old password; success signs out every session", () =>
        Effect.gen(function*() {
          const address = uniqueEmail("change")
          yield* register(address)
          const session = (yield* login(address)).body
          const change = (body: unknown) => send(post("/auth/change-password", body).pipe(bearer(session.access_token)))
          const wrong = yield* change({ old_password: "Not-It-123", new_password: "Brand-New-Pass-1" })
          assert.deepStrictEqual([wrong.status, wrong.body._tag], [400, "InvalidCredentials"])
          assert.strictEqual((yield* change({ old_password: PASSWORD, new_password: "short" })).status, 400)
          assert.strictEqual((yield* change({ old_password: PASSWORD, new_password: "Brand-New-Pass-1" })).status, 204)
          assert.strictEqual((yield* send(post("/auth/refresh", { refresh_token: session.refresh_token }))).status, 401)
          assert.strictEqual((yield* send(HttpClientRequest.get("/auth/sessions").pipe(bearer(session.access_token)))).status, 401, "its access token ended too")
          assert.strictEqual((yield* login(address, "Brand-New-Pass-1")).status, 200)
        }))

      it.effect("at most 5 sessions; logout revokes one of the caller's, logout-all all of them", () =>
        Effect.gen(function*() {
          const address = uniqueEmail("sessions")
          yield* register(address)
          const pairs = yield* Effect.forEach([1, 2, 3, 4, 5, 6], () => Effect.map(login(address), (r) => r.body))
          const latest = pairs.at(-1)!
          const sessions = yield* send(HttpClientRequest.get("/auth/sessions").pipe(bearer(latest.access_token)))
          assert.strictEqual(sessions.body.length, 5)
          assert.deepStrictEqual(Object.keys(sessions.body[0]).sort(), ["created_at", "expires_at", "id", "last_used_at", "user_agent"])
          assert.strictEqual((yield* send(post("/auth/refresh", { refresh_token: pairs[0]!.refresh_token }))).status, 401, "the oldest was evicted")

          const other = uniqueEmail("other")
          yield* register(other)
          const stranger = (yield* login(other)).body
          const foreign = yield* send(post("/auth/logout", { refresh_token: latest.refresh_token }).pipe(bearer(stranger.access_token)))
          assert.strictEqual(foreign.status, 204)
          assert.strictEqual((yield* send(post("/auth/refresh", { refresh_token: latest.refresh_token }))).status, 200, "another user's logout does not touch it")

          // Logout ends its session's access token with its refresh token; the other sessions go on.
          const five = pairs[4]!
          const sessionsOf = (pair: { readonly access_token: string }) =>
            send(HttpClientRequest.get("/auth/sessions").pipe(bearer(pair.access_token)))
          assert.strictEqual((yield* send(post("/auth/logout", { refresh_token: five.refresh_token }).pipe(bearer(five.access_token)))).status, 204)
          assert.strictEqual((yield* send(post("/auth/refresh", { refresh_token: five.refresh_token }))).status, 401)
          assert.strictEqual((yield* sessionsOf(five)).status, 401, "the logged-out session's access token")
          assert.strictEqual((yield* sessionsOf(pairs[1]!)).body.length, 4)
          // Logout-all ends every session's access token, the caller's own included.
          assert.strictEqual((yield* send(post("/auth/logout-all").pipe(bearer(pairs[1]!.access_token)))).status, 204)
          for (const pair of pairs) assert.strictEqual((yield* sessionsOf(pair)).status, 401)
          assert.strictEqual((yield* send(post("/auth/refresh", { refresh_token: latest.refresh_token }))).status, 401)
          const again = (yield* login(address)).body
          assert.strictEqual((yield* sessionsOf(again)).body.length, 1, "a new login starts a new session")
          assert.strictEqual((yield* send(post("/auth/logout-all"))).status, 401)
        }))

      it.effect("concurrent logins of one user all succeed and still leave at most 5 sessions", () =>
        Effect.gen(function*() {
          const address = uniqueEmail("concurrent")
          yield* register(address)
          const results = yield* Effect.forEach(Array.from({ length: 40 }), () => login(address), { concurrency: "unbounded" })
          assert.deepStrictEqual(results.map((r) => r.status), Array(40).fill(200))
          // Evicted sessions' access tokens end with them: a login after the burst reads the five that are left.
          const after = (yield* login(address)).body
          const sessions = yield* send(HttpClientRequest.get("/auth/sessions").pipe(bearer(after.access_token)))
          assert.strictEqual(sessions.body.length, 5)
          const alive = yield* Effect.forEach(results, (r) =>
            Effect.map(send(HttpClientRequest.get("/auth/sessions").pipe(bearer(r.body.access_token))), (s) => s.status === 200))
          assert.strictEqual(alive.filter(Boolean).length, 4, "of the burst's 40 sessions, the 4 kept beside the newest")
        }))

      it.effect("a queue of password hashes does not hold up other requests' token checks", () =>
        Effect.gen(function*() {
          const address = uniqueEmail("busy")
          yield* register(address)
          const { access_token } = (yield* login(address)).body
          // 24 logins at once, each a hash (unknown emails are checked against a dummy one).
          let answered = 0
          const first = yield* Deferred.make<void>()
          const logins = yield* Effect.forkChild(Effect.forEach(Array.from({ length: 24 }), () =>
            login(uniqueEmail("nobody")).pipe(Effect.andThen(Effect.sync(() => answered++)), Effect.andThen(Deferred.succeed(first, undefined))), { concurrency: "unbounded", discard: true }))
          // Once one has answered, the others are hashing or queued for it.
          yield* Deferred.await(first)
          const before = answered
          const me = yield* send(HttpClientRequest.get("/users/me").pipe(bearer(access_token)))
          const overtaken = answered - before
          assert.strictEqual(me.status, 200)
          // Were hashes allowed every thread of libuv's pool, the token's signature check (WebCrypto, on that pool)
          // would wait behind all of them.
          assert.isBelow(overtaken, 12, `${overtaken} of the ${24 - before} queued logins answered before /users/me`)
          yield* Fiber.join(logins)
        }))
    }
  )
})
