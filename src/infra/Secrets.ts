/**
 * The key that signs access tokens. Required (≥ 32 characters) when
 * `NODE_ENV=production`; in development an unset `JWT_SECRET` gets a random
 * per-process key and a warning, so tokens do not survive a restart.
 */
import { Config, Context, Effect, Layer, Option, Redacted, Schema } from "effect"
import * as Crypto from "node:crypto"
import * as Settings from "./Settings.ts"

const jwtSecret = Config.schema(Schema.Redacted(Schema.String.check(Schema.isMinLength(32))), "JWT_SECRET")

export class JwtSecret extends Context.Service<JwtSecret, Redacted.Redacted<Uint8Array>>()("maplehustle/infra/Secrets/JwtSecret") {
  static readonly layer = Layer.effect(JwtSecret, Effect.gen(function*() {
    const production = yield* Settings.isProduction
    const configured = production ? Option.some(yield* jwtSecret) : yield* Config.option(jwtSecret)
    if (Option.isSome(configured)) {
      return Redacted.make(new TextEncoder().encode(Redacted.value(configured.value)))
    }
    yield* Effect.logWarning("JWT_SECRET is unset: using a random key for this process; tokens will not survive a restart")
    return Redacted.make(new Uint8Array(Crypto.randomBytes(32)))
  }))
}
