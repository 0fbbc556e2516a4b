import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.ts"
import { Items } from "../items/Items.ts"
import { Services } from "../listings/Services.ts"
import { Search } from "./Search.ts"

export const SearchHttp = HttpApiBuilder.group(Api, "search", Effect.fn(function*(handlers) {
  const services = yield* Services
  const search = yield* Search
  const items = yield* Items
  return handlers
    .handle("services", ({ query }) => services.search(query))
    .handle("available", ({ query }) => services.available(query))
    .handle("items", ({ query }) => items.search(query))
    .handle("providers", ({ query }) => search.providers(query))
    .handle("suggestions", ({ query }) => search.suggestions(query.q, query.type, query.limit))
}))
