/**
 * `Idempotency-Key` for the POST routes that create money or bookings
 * (API.md). The first request with a key takes it — a row in
 * `idempotency_keys` — inside the transaction that does the work, and stores
 * the response there before committing. A duplicate arriving meanwhile blocks
 * on that row's unique index until the first commits, then replays the stored
 * response (`Idempotent-Replayed: true`); if the first failed, its row went
 * with its rollback and the duplicate does the work itself. The same key with
 * another body → 409 `IdempotencyKeyReused`. Keys live 24 hours (purged by
 * cron); an expired key is taken afresh.
 */
import { Context, Effect, Layer, Schema } from "effect"
import { HttpServerResponse } from "effect/http"
import { SqlClient } from "effect/sql/SqlClient"
import * as Crypto from "node:crypto"
import { IdempotencyKeyReused } from "../domain/Errors.ts"
import type { UserId } from "../domain/User.ts"
import { Transactions } from "./Sql.ts"

export const IdempotencyKey = Schema.String.check(
  Schema.isMinLength(1, { message: "1 to 255 characters" }),
  Schema.isMaxLength(255, { message: "1 to 255 characters" })
)

/** The request's header, as the routes that take one declare it. */
export const IdempotencyHeaders = { "idempotency-key": Schema.optional(IdempotencyKey) }

const toJson = Schema.encodeSync(Schema.fromJsonString(Schema.Unknown))

/** The body with its keys sorted at every level, so equal bodies hash alike whatever their key order. */
const canonical = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(canonical)
    : typeof value === "object" && value !== null && !(value instanceof Date)
    ? Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]))
    : value

export const fingerprint = (body: unknown) => Crypto.createHash("sha256").update(toJson(canonical(body))).digest()

export class Idempotency extends Context.Service<Idempotency>()("maplehustle/infra/Idempotency", {
  make: Effect.gen(function*() {
    const sql = yield* SqlClient
    const tx = yield* Transactions

    /** The text a route's success schema answers with, its codec built once per schema. */
    const encoders = new WeakMap<object, (value: never) => string>()
    const responseText = <A>(success: Schema.Codec<A, unknown>) => {
      let encode = encoders.get(success) as ((value: A) => string) | undefined
      if (encode === undefined) {
        encode = Schema.encodeSync(Schema.fromJsonString(success))
        encoders.set(success, encode as (value: never) => string)
      }
      return encode
    }

    /**
     * Runs the work of a route answering 201 once per `(user, scope, key)`:
     * the first time in one transaction with the key, later by replaying its
     * stored response. Without a key, just runs it. The decoded body is the
     * fingerprint; the stored text is the result as `success` encodes it, as
     * the route answers it.
     */
    const created = <A, E, R>(
      caller: { readonly id: UserId },
      request: { readonly headers: { readonly "idempotency-key"?: string | undefined }; readonly payload: unknown },
      route: { readonly scope: string; readonly success: Schema.Codec<A, unknown> },
      effect: Effect.Effect<A, E, R>
    ): Effect.Effect<A | HttpServerResponse.HttpServerResponse, E | IdempotencyKeyReused, R> => {
      const key = request.headers["idempotency-key"]
      if (key === undefined) return effect
      const { scope } = route
      const print = fingerprint(request.payload)
      return tx.withTransaction(Effect.gen(function*() {
        const taken = yield* sql`
          INSERT INTO idempotency_keys (user_id, scope, key, fingerprint) VALUES (${caller.id}, ${scope}, ${key}, ${print})
          ON CONFLICT (user_id, scope, key) DO UPDATE
            SET fingerprint = EXCLUDED.fingerprint, response_status = NULL, response_body = NULL,
                created_at = now(), expires_at = now() + interval '24 hours'
            WHERE idempotency_keys.expires_at < now()
          RETURNING 1`
        if (taken.length === 0) {
          const [stored] = yield* sql<{ fingerprint: Uint8Array; responseStatus: number; responseBody: string }>`
            SELECT fingerprint, response_status, response_body FROM idempotency_keys
            WHERE user_id = ${caller.id} AND scope = ${scope} AND key = ${key}`
          if (stored === undefined || !Buffer.from(stored.fingerprint).equals(print)) {
            return yield* new IdempotencyKeyReused({ message: "This Idempotency-Key was used with a different request body" })
          }
          return HttpServerResponse.text(stored.responseBody, {
            status: stored.responseStatus,
            contentType: "application/json",
            headers: { "idempotent-replayed": "true" }
          })
        }
        const result = yield* effect
        yield* sql`
          UPDATE idempotency_keys SET response_status = 201, response_body = ${responseText(route.success)(result)}
          WHERE user_id = ${caller.id} AND scope = ${scope} AND key = ${key}`
        return result
      }))
    }

    return { created }
  })
}) {
  static readonly layer = Layer.effect(this, this.make).pipe(Layer.provide(Transactions.layer))
}
