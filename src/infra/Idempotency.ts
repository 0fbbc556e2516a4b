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

    /**
     * Runs `effect` once per `(user, scope, key)`: the first time in one
     * transaction with the key, later by replaying its stored response.
     * Without a key, just runs it. `success` is the route's success schema:
     * the stored text is the value encoded by it, as the route answers it.
     */
    const run = <A, E, R>(options: {
      readonly userId: UserId
      readonly scope: string
      readonly key: string | undefined
      readonly body: unknown
      readonly status: number
      readonly success: Schema.Codec<A, unknown>
    }, effect: Effect.Effect<A, E, R>): Effect.Effect<A | HttpServerResponse.HttpServerResponse, E | IdempotencyKeyReused, R> => {
      const key = options.key
      if (key === undefined) return effect
      const print = fingerprint(options.body)
      const responseText = Schema.encodeSync(Schema.fromJsonString(options.success))
      return tx.withTransaction(Effect.gen(function*() {
        const taken = yield* sql`
          INSERT INTO idempotency_keys (user_id, scope, key, fingerprint) VALUES (${options.userId}, ${options.scope}, ${key}, ${print})
          ON CONFLICT (user_id, scope, key) DO UPDATE
            SET fingerprint = EXCLUDED.fingerprint, response_status = NULL, response_body = NULL,
                created_at = now(), expires_at = now() + interval '24 hours'
            WHERE idempotency_keys.expires_at < now()
          RETURNING 1`
        if (taken.length === 0) {
          const [stored] = yield* sql<{ fingerprint: Uint8Array; responseStatus: number; responseBody: string }>`
            SELECT fingerprint, response_status, response_body FROM idempotency_keys
            WHERE user_id = ${options.userId} AND scope = ${options.scope} AND key = ${key}`
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
          UPDATE idempotency_keys SET response_status = ${options.status}, response_body = ${responseText(result)}
          WHERE user_id = ${options.userId} AND scope = ${options.scope} AND key = ${key}`
        return result
      }))
    }

    /** `run` for a route answering 201: the key from its headers, its decoded body as the fingerprint. */
    const created = <A, E, R>(
      caller: { readonly id: UserId },
      request: { readonly headers: { readonly "idempotency-key"?: string | undefined }; readonly payload: unknown },
      route: { readonly scope: string; readonly success: Schema.Codec<A, unknown> },
      effect: Effect.Effect<A, E, R>
    ) =>
      run({
        userId: caller.id,
        scope: route.scope,
        key: request.headers["idempotency-key"],
        body: request.payload,
        status: 201,
        success: route.success
      }, effect)

    return { run, created }
  })
}) {
  static readonly layer = Layer.effect(this, this.make).pipe(Layer.provide(Transactions.layer))
}
