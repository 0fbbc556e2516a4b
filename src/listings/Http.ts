import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.ts"
import { CurrentUser } from "../users/Authentication.ts"
import { Services } from "./Services.ts"

export const ServicesHttp = HttpApiBuilder.group(Api, "services", Effect.fn(function*(handlers) {
  const services = yield* Services
  return handlers
    .handle("create", ({ payload }) => CurrentUser.use((caller) => services.create(caller, payload)))
    .handle("list", ({ query }) => services.list(query))
    .handle("get", ({ params }) => services.get(params.id))
    .handle("update", ({ params, payload }) => CurrentUser.use((caller) => services.update(caller, params.id, payload)))
    .handle("remove", ({ params }) => CurrentUser.use((caller) => services.remove(caller, params.id)))
}))
