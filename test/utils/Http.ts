/**
 * Requests against the test server with status and parsed body, and tokens
 * for users created by the fixtures.
 */
import { Effect, Schema } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql/SqlClient"
import type { Role, UserId } from "../../src/domain/User.ts"
import { AccessTokens } from "../../src/users/AccessTokens.ts"
import { insertUser } from "./fixtures.ts"

const parseJson = Schema.decodeUnknownSync(Schema.fromJsonString(Schema.Unknown))

export interface TestResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly text: string
  // Tests read response fields freely; the contract tests assert their shapes.
  readonly body: any
}

export const send = (request: HttpClientRequest.HttpClientRequest) =>
  Effect.gen(function*() {
    const response = yield* HttpClient.execute(request)
    const text = yield* response.text
    const isJson = (response.headers["content-type"] ?? "").startsWith("application/json")
    return { status: response.status, headers: response.headers, text, body: isJson && text !== "" ? parseJson(text) : undefined } as TestResponse
  })

/**
 * A bearer token for an existing user, in a login session of its own (a
 * refresh-token family, as a login makes): the bearer check accepts a token
 * only while its session is signed in.
 */
export const withToken = (id: UserId, role: Role) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    const [session] = yield* sql<{ id: string }>`
      INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at)
      VALUES (${id}, gen_random_uuid(), gen_random_bytes(32), now() + interval '7 days') RETURNING family_id AS id`.pipe(Effect.orDie)
    const token = yield* AccessTokens.use((tokens) => tokens.issue({ id, role }, session!.id))
    return { id, token, as: (request: HttpClientRequest.HttpClientRequest) => HttpClientRequest.bearerToken(request, token) }
  })

/** A new user of `role` and a bearer token for it. */
export const userWithToken = (role: Role) => Effect.flatMap(insertUser(role), (id) => withToken(id as UserId, role))

/**
 * The query budget of one request: sends it, requires a success, and returns
 * how many statements it cost (`X-Db-Statements`). A budget is then one line:
 * `assert.strictEqual(yield* statementsOf(client.as(get("/bookings"))), 2)`.
 */
export const statementsOf = (request: HttpClientRequest.HttpClientRequest) =>
  Effect.gen(function*() {
    const response = yield* send(request)
    if (response.status >= 300) {
      return yield* Effect.die(`${request.method} ${request.url} answered ${response.status}: ${response.text}`)
    }
    const header = response.headers["x-db-statements"]
    if (header === undefined) return yield* Effect.die(`${request.method} ${request.url}: no x-db-statements header`)
    return Number(header)
  })
