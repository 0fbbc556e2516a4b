import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.ts"
import { Provinces } from "./Provinces.ts"

export const ProvincesHttp = HttpApiBuilder.group(Api, "provinces", Effect.fn(function*(handlers) {
  const provinces = yield* Provinces
  return handlers
    .handle("list", () => provinces.list())
    .handle("get", ({ params }) => provinces.get(params.code))
}))
