import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.ts"
import { CurrentUser } from "../users/Authentication.ts"
import { Items } from "./Items.ts"

export const ItemsHttp = HttpApiBuilder.group(Api, "items", Effect.fn(function*(handlers) {
  const items = yield* Items
  return handlers
    .handle("createCategory", ({ payload }) =>
      CurrentUser.use((caller) => items.createCategory(caller, payload.name, payload.description)))
    .handle("listCategories", () => items.listCategories())
    .handle("create", ({ payload }) => CurrentUser.use((caller) => items.create(caller, payload)))
    .handle("list", ({ query }) => items.list(query))
    .handle("get", ({ params }) => items.get(params.id))
    .handle("update", ({ params, payload }) => CurrentUser.use((caller) => items.update(caller, params.id, payload)))
    .handle("remove", ({ params }) => CurrentUser.use((caller) => items.remove(caller, params.id)))
}))
