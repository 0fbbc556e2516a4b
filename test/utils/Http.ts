/**
 * Requests against the test server with status and parsed body, and tokens
 * for users created by the fixtures.
 */
import { Effect, Schema } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
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

/** A new user of `role` and a bearer token for it. */
export const userWithToken = (role: Role) =>
  Effect.gen(function*() {
    const id = (yield* insertUser(role)) as UserId
    const token = yield* AccessTokens.use((tokens) => tokens.issue({ id, role }))
    return { id, token, as: (request: HttpClientRequest.HttpClientRequest) => HttpClientRequest.bearerToken(request, token) }
  })
