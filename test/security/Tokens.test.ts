/**
 * Access tokens are accepted only as the service signs them: HS256 with its
 * secret, unexpired, unaltered. A token claiming `alg: none`, one signed with
 * another HMAC algorithm or another secret, an expired one and one whose
 * payload was edited (a client made admin) all answer 401 — while the same
 * user's genuine token, and a token signed in the test the service's way,
 * answer 200, so each refusal is the token's.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { HttpClientRequest } from "effect/http"
import { SignJWT } from "jose"
import { send, userWithToken } from "../utils/Http.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TEST_JWT_SECRET, TestApp, TestRedis } from "../utils/TestInfra.ts"

const secret = new TextEncoder().encode(TEST_JWT_SECRET)
const Claims = Schema.fromJsonString(Schema.Record(Schema.String, Schema.Unknown))
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")

const me = (token: string) =>
  Effect.map(send(HttpClientRequest.get("/users/me").pipe(HttpClientRequest.bearerToken(token))), (r) => ({ status: r.status, tag: r.body._tag }))

/** A token with a genuine token's claims (`sub`, `role`, `sid`), signed as `options` say: by default as the service signs. */
const signed = (
  claims: Record<string, unknown>,
  options: { readonly alg?: string; readonly key?: Uint8Array; readonly expiresAt?: number } = {}
) =>
  Effect.promise(() =>
    new SignJWT({ role: claims.role, sid: claims.sid })
      .setProtectedHeader({ alg: options.alg ?? "HS256", typ: "JWT" })
      .setSubject(String(claims.sub))
      .setIssuedAt()
      .setExpirationTime(options.expiresAt ?? "30m")
      .sign(options.key ?? secret)
  )

describe("access tokens", () => {
  it.layer(TestApp.pipe(Layer.provideMerge(Layer.mergeAll(TestDatabase(), TestRedis()))), { timeout: "30 seconds", excludeTestServices: true })(
    "routes",
    (it) => {
      it.effect("only HS256 tokens signed with the service's secret, unexpired and unaltered, are accepted", () =>
        Effect.gen(function*() {
          const client = yield* userWithToken("client")
          assert.strictEqual((yield* me(client.token)).status, 200, "the genuine token works")
          const [header, payload, signature] = client.token.split(".") as [string, string, string]
          const claims = Schema.decodeUnknownSync(Claims)(Buffer.from(payload, "base64url").toString())
          // Signed here the service's way, the claims pass: each forgery below differs from this token in one respect.
          assert.strictEqual((yield* me(yield* signed(claims))).status, 200, "a token signed here as the service signs")

          const forged = {
            "alg none": `${base64url({ alg: "none", typ: "JWT" })}.${payload}.`,
            "alg none, the genuine signature kept": `${base64url({ alg: "none", typ: "JWT" })}.${payload}.${signature}`,
            "HS512 with the same secret": yield* signed(claims, { alg: "HS512" }),
            "HS256 with another secret": yield* signed(claims, { key: new TextEncoder().encode("another-secret-of-at-least-32-characters!") }),
            "expired": yield* signed(claims, { expiresAt: Math.floor(Date.now() / 1000) - 60 }),
            "payload edited to admin": `${header}.${base64url({ ...claims, role: "admin" })}.${signature}`,
            "signature altered": `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith("AA") ? "BB" : "AA"}`
          }
          for (const [what, token] of Object.entries(forged)) {
            assert.deepStrictEqual(yield* me(token), { status: 401, tag: "Unauthorized" }, what)
          }
        }))
    }
  )
})
