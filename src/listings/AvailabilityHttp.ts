import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.ts"
import { CurrentUser } from "../users/Authentication.ts"
import { Availability } from "./Availability.ts"

export const AvailabilityHttp = HttpApiBuilder.group(Api, "availability", Effect.fn(function*(handlers) {
  const availability = yield* Availability
  return handlers
    .handle("create", ({ payload }) => CurrentUser.use((caller) => availability.create(caller, payload.start_at, payload.end_at)))
    .handle("list", ({ query }) => availability.list(query.provider_id, query.from, query.to))
    .handle("remove", ({ params }) => CurrentUser.use((caller) => availability.remove(caller, params.id)))
}))
