import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.ts"
import { CurrentUser } from "../users/Authentication.ts"
import { Reviews } from "./Reviews.ts"

export const ReviewsHttp = HttpApiBuilder.group(Api, "reviews", Effect.fn(function*(handlers) {
  const reviews = yield* Reviews
  return handlers
    .handle("create", ({ payload }) => CurrentUser.use((caller) => reviews.create(caller, payload)))
    .handle("forUser", ({ params, query }) => reviews.received(params.id, query))
    .handle("hide", ({ params }) => CurrentUser.use((caller) => reviews.hide(caller, params.id)))
}))
