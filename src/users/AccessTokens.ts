/**
 * Access tokens: HS256 JWTs (`sub`, `role`, `sid`, `exp`), 30 minutes, signed
 * with `JWT_SECRET`. `sid` is the login session (the refresh-token family)
 * the token was issued to: the bearer check accepts it only while that
 * session is signed in, so whatever ends the session — logout, logout-all,
 * eviction by a sixth login, reuse revocation, a password change or reset,
 * suspension — ends its access tokens at once. Verification pins the
 * algorithm, so a token claiming `none` or an asymmetric algorithm is rejected.
 */
import { Context, Data, Effect, Layer, Option, Redacted, Schema } from "effect"
import { jwtVerify, SignJWT } from "jose"
import { Role, UserId } from "../domain/User.ts"
import { JwtSecret } from "../infra/Secrets.ts"

export const ACCESS_TOKEN_TTL_SECONDS = 30 * 60
const ALGORITHM = "HS256"

export class InvalidAccessToken extends Data.TaggedError("InvalidAccessToken")<{ readonly reason: string }> {}

const Claims = Schema.Struct({ sub: UserId, role: Role, sid: Schema.String.check(Schema.isUUID()) })

export class AccessTokens extends Context.Service<AccessTokens>()("maplehustle/users/AccessTokens", {
  make: Effect.gen(function*() {
    const secret = Redacted.value(yield* JwtSecret)

    /** A token for `user` in the login session `session` (its refresh-token family). */
    const issue = Effect.fn("AccessTokens.issue")((user: { readonly id: UserId; readonly role: Role }, session: string) =>
      Effect.promise(() =>
        new SignJWT({ role: user.role, sid: session })
          .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
          .setSubject(user.id)
          .setIssuedAt()
          .setExpirationTime(`${ACCESS_TOKEN_TTL_SECONDS}s`)
          .sign(secret)
      ))

    const verify = Effect.fn("AccessTokens.verify")(function*(token: string) {
      const { payload } = yield* Effect.tryPromise({
        try: () => jwtVerify(token, secret, { algorithms: [ALGORITHM] }),
        catch: (cause) => new InvalidAccessToken({ reason: cause instanceof Error ? cause.message : "invalid token" })
      })
      return yield* Option.match(Schema.decodeUnknownOption(Claims)(payload), {
        onNone: () => Effect.fail(new InvalidAccessToken({ reason: "unexpected claims" })),
        onSome: (claims) => Effect.succeed({ id: claims.sub, role: claims.role, session: claims.sid })
      })
    })

    return { issue, verify }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}
