/**
 * The service's secret keys, from `JWT_SECRET`: the key that signs access
 * tokens, and one derived from it that seals secrets inside job payloads.
 * Required (≥ 32 characters) when `NODE_ENV=production`; in development an
 * unset `JWT_SECRET` gets a random per-process key and a warning, so tokens do
 * not survive a restart (nor do sealed payloads: run `npm run api` and
 * `npm run worker` with one `JWT_SECRET`).
 */
import { Config, Context, Effect, Layer, Option, Redacted, Result, Schema } from "effect"
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

const SEAL_VERSION = "v1"
const IV_BYTES = 12
const TAG_BYTES = 16

/**
 * Seals what a job payload must carry but a database reader must not see —
 * the one-time email tokens and the links holding them — with AES-256-GCM
 * under a key derived from `JWT_SECRET` (HKDF-SHA256 with a label of its own,
 * so it is never the signing key itself). `jobs` and `completed_jobs` rows,
 * `GET /ops/jobs` and backups then hold ciphertext only. `open` answers a
 * failure for anything it did not seal under the current key: a payload
 * altered in the database, or a `JWT_SECRET` changed since.
 */
export class PayloadSeal extends Context.Service<PayloadSeal, {
  readonly seal: (plaintext: string) => string
  readonly open: (sealed: string) => Result.Result<string, string>
}>()("maplehustle/infra/Secrets/PayloadSeal") {
  static readonly layer = Layer.effect(PayloadSeal, Effect.gen(function*() {
    const secret = yield* JwtSecret
    const key = Buffer.from(Crypto.hkdfSync("sha256", Redacted.value(secret), new Uint8Array(0), "maplehustle job payload seal v1", 32))
    return PayloadSeal.of({
      seal: (plaintext) => {
        const iv = Crypto.randomBytes(IV_BYTES)
        const cipher = Crypto.createCipheriv("aes-256-gcm", key, iv)
        const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()])
        return `${SEAL_VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url")}`
      },
      open: (sealed) => {
        const [version, encoded] = sealed.split(".")
        if (version !== SEAL_VERSION || encoded === undefined) return Result.fail(`not sealed as ${SEAL_VERSION}`)
        const bytes = Buffer.from(encoded, "base64url")
        if (bytes.length < IV_BYTES + TAG_BYTES) return Result.fail("sealed value too short")
        try {
          const decipher = Crypto.createDecipheriv("aes-256-gcm", key, bytes.subarray(0, IV_BYTES))
          decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES))
          return Result.succeed(Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8"))
        } catch {
          return Result.fail("not sealed under this JWT_SECRET, or altered")
        }
      }
    })
  }))
}

/** Both keys: the signing key and the payload seal derived from it. */
export const SecretsLive = PayloadSeal.layer.pipe(Layer.provideMerge(JwtSecret.layer))
