/**
 * Access tokens: HS256 JWTs (`sub`, `role`, `exp`), 30 minutes, signed with
 * `JWT_SECRET`. Verification pins the algorithm, so a token claiming `none`
 * or an asymmetric algorithm is rejected.
 */
import { Context, Data, Effect, Layer, Option, Redacted, Schema } from "effect"
import { jwtVerify, SignJWT } from "jose"
import { Role, UserId } from "../domain/User.ts"
import { JwtSecret } from "../infra/Secrets.ts"

export const ACCESS_TOKEN_TTL_SECONDS = 30 * 60
const ALGORITHM = "HS256"

export class InvalidAccessToken extends Data.TaggedError("InvalidAccessToken")<{ readonly reason: string }> {}

const Claims = Schema.Struct({ sub: UserId, role: Role })

export class AccessTokens extends Context.Service<AccessTokens>()("maplehustle/users/AccessTokens", {
  make: Effect.gen(function*() {
    const secret = Redacted.value(yield* JwtSecret)

    const issue = Effect.fn("AccessTokens.issue")((user: { readonly id: UserId; readonly role: Role }) =>
      Effect.promise(() =>
        new SignJWT({ role: user.role })
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
        onSome: (claims) => Effect.succeed({ id: claims.sub, role: claims.role })
      })
    })

    return { issue, verify }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}
