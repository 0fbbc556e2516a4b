/**
 * The bearer check: a valid, unexpired token of an existing, active user,
 * issued to a login session that is still signed in. The role comes from the
 * database, not the token, so a demoted or suspended user's token stops
 * working at once, as do the tokens of a session that logged out.
 */
import { Effect, Layer, Option, Redacted } from "effect"
import { HttpServerRequest } from "effect/http"
import { Unauthorized } from "../domain/Errors.ts"
import { AccessTokens } from "./AccessTokens.ts"
import { Authentication, CurrentUser, OptionalAuthentication, Viewer } from "./Authentication.ts"
import * as RequestScope from "../infra/RequestScope.ts"
import { UsersRepo } from "./UsersRepo.ts"

const unauthorized = new Unauthorized({ message: "Missing, invalid or expired access token" })

const bearerPrefix = /^bearer\s+/i

const callerOf = Effect.gen(function*() {
  const tokens = yield* AccessTokens
  const users = yield* UsersRepo
  return Effect.fn("Authentication.caller")(function*(token: string) {
    const claims = yield* tokens.verify(token).pipe(Effect.mapError(() => unauthorized))
    const state = yield* users.findAuthState(claims.id, claims.session)
    if (Option.isNone(state) || !state.value.active || !state.value.signedIn) return yield* unauthorized
    yield* Effect.annotateCurrentSpan("user.id", claims.id)
    const scope = yield* RequestScope.CurrentRequestScope
    if (scope !== undefined) scope.userId = claims.id
    return { id: claims.id, role: state.value.role }
  })
})

const AuthenticationRequired = Layer.effect(Authentication, Effect.gen(function*() {
  const caller = yield* callerOf
  return Authentication.of({
    bearer: (httpEffect, { credential }) =>
      Effect.flatMap(caller(Redacted.value(credential)), (user) => Effect.provideService(httpEffect, CurrentUser, user))
  })
}))

const AuthenticationOptional = Layer.effect(OptionalAuthentication, Effect.gen(function*() {
  const caller = yield* callerOf
  return OptionalAuthentication.of((httpEffect) =>
    Effect.gen(function*() {
      const header = (yield* HttpServerRequest.HttpServerRequest).headers.authorization
      if (header === undefined) return yield* Effect.provideService(httpEffect, Viewer, Option.none())
      if (!bearerPrefix.test(header)) return yield* unauthorized
      const user = yield* caller(header.replace(bearerPrefix, ""))
      return yield* Effect.provideService(httpEffect, Viewer, Option.some(user))
    }))
}))

export const AuthenticationLive = Layer.mergeAll(AuthenticationRequired, AuthenticationOptional)
