import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.ts"
import { Services } from "../listings/Services.ts"

export const SearchHttp = HttpApiBuilder.group(Api, "search", Effect.fn(function*(handlers) {
  const services = yield* Services
  return handlers
    .handle("services", ({ query }) => services.search(query))
    .handle("available", ({ query }) => services.available(query))
}))
