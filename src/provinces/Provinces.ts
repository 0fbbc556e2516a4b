/**
 * Reference data of the provinces: what the API shows of each, and the one
 * rule of the lookup — codes are matched whatever their case.
 */
import { Context, Effect, Layer, Option, Schema } from "effect"
import { NotFound } from "../domain/Errors.ts"
import { Cache } from "../infra/Cache.ts"
import { Tags } from "../listings/CachedReads.ts"
import { ProvinceView } from "./Api.ts"

const ProvinceList = Schema.Array(ProvinceView)
import { type ProvinceRow, ProvincesRepo } from "./ProvincesRepo.ts"

const view = (row: ProvinceRow): ProvinceView => ({
  code: row.code,
  name: row.name,
  tax: { gst: row.gst, pst: row.pst, hst: row.hst, total: row.total }
})

export class Provinces extends Context.Service<Provinces>()("maplehustle/provinces/Provinces", {
  make: Effect.gen(function*() {
    const repo = yield* ProvincesRepo
    const cache = yield* Cache

    // Reference data: changes only by migration (then `POST /ops/cache/invalidate` with `provinces`).
    const list = Effect.fn("Provinces.list")(function*() {
      return yield* cache.value({
        entity: "provinces",
        key: "all",
        schema: ProvinceList,
        ttl: "24 hours",
        tags: [Tags.provinces],
        lookup: Effect.map(repo.list(), (rows) => rows.map(view))
      })
    })

    const get = Effect.fn("Provinces.get")(function*(code: string) {
      const upper = code.toUpperCase()
      const row = yield* cache.get({
        entity: "province",
        key: upper,
        schema: ProvinceView,
        ttl: "24 hours",
        tags: [Tags.provinces],
        lookup: Effect.map(repo.findByCode(upper), Option.map(view))
      })
      return yield* Option.match(row, {
        onNone: () => Effect.fail(new NotFound({ message: `No province or territory has the code ${upper}` })),
        onSome: Effect.succeed
      })
    })

    return { list, get }
  })
}) {
  static readonly layerNoDeps = Layer.effect(this, this.make)
  static readonly layer = this.layerNoDeps.pipe(Layer.provide(ProvincesRepo.layer))
}
