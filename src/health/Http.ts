import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import pkg from "../../package.json" with { type: "json" }
import { Api } from "../Api.ts"
import { Health } from "./Health.ts"

export const SystemHttp = HttpApiBuilder.group(Api, "system", Effect.fn(function*(handlers) {
  const health = yield* Health
  return handlers
    .handle("about", () => Effect.succeed({ name: pkg.name, version: pkg.version, docs: "/docs" }))
    .handle("live", () => Effect.succeed({ status: "ok" as const }))
    .handle("ready", () => health.readiness())
}))
