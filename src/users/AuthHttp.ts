import { Effect, Option } from "effect"
import { HttpEffect, HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.ts"
import { RateLimited } from "../domain/Errors.ts"
import { RateLimiter } from "../infra/RateLimiter.ts"
import { Auth, rateLimited } from "./Auth.ts"
import { CurrentUser } from "./Authentication.ts"

/** API.md's per-address limits, per minute. */
const perMinute = { register: 5, login: 10, refresh: 20 } as const

export const AuthHttp = HttpApiBuilder.group(Api, "auth", Effect.fn(function*(handlers) {
  const auth = yield* Auth
  const limiter = yield* RateLimiter

  /**
   * Counts the request against its client address; over the limit, a 429. The
   * address is the socket's peer, or behind the proxies of `TRUSTED_PROXIES`
   * the client address they forwarded (`HttpEdge`).
   */
  const limitAddress = (route: keyof typeof perMinute) =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const address = Option.getOrElse(request.remoteAddress, () => "unknown")
      const over = yield* limiter.hit(`${route}:${address}`, perMinute[route], 60_000)
      if (Option.isSome(over)) return yield* rateLimited(over.value, `${route} requests from your address`)
    })

  /** A limited route: the address limit first, and `Retry-After` on every 429 (its own or the login lockout's). */
  const limited = <A, E, R>(route: keyof typeof perMinute, self: Effect.Effect<A, E, R>) =>
    Effect.andThen(limitAddress(route), self).pipe(
      Effect.tapError((error) =>
        error instanceof RateLimited
          ? HttpEffect.appendPreResponseHandler((_, response) =>
            Effect.succeed(HttpServerResponse.setHeader(response, "retry-after", String(error.retry_after_s))))
          : Effect.void)
    )

  return handlers
    .handle("register", ({ payload }) => limited("register", auth.register(payload)))
    .handle("login", ({ payload, headers }) => limited("login", auth.login(payload.email, payload.password, headers["user-agent"])))
    .handle("refresh", ({ payload }) => limited("refresh", auth.refresh(payload.refresh_token)))
    .handle("logout", ({ payload }) => CurrentUser.use((caller) => auth.logout(caller, payload.refresh_token)))
    .handle("logoutAll", () => CurrentUser.use((caller) => auth.logoutAll(caller)))
    .handle("sessions", () => CurrentUser.use((caller) => auth.sessions(caller)))
    .handle("verifyEmail", ({ payload }) => auth.verifyEmail(payload.token))
    .handle("forgotPassword", ({ payload }) => auth.forgotPassword(payload.email))
    .handle("resetPassword", ({ payload }) => auth.resetPassword(payload.token, payload.new_password))
    .handle("changePassword", ({ payload }) =>
      CurrentUser.use((caller) => auth.changePassword(caller, payload.old_password, payload.new_password)))
}))
