/**
 * Reference data of the provinces: what the API shows of each, and the one
 * rule of the lookup — codes are matched whatever their case.
 */
import { Context, Effect, Layer, Option } from "effect"
import { NotFound } from "../domain/Errors.ts"
import type { ProvinceView } from "./Api.ts"
import { type ProvinceRow, ProvincesRepo } from "./ProvincesRepo.ts"

const view = (row: ProvinceRow): ProvinceView => ({
  code: row.code,
  name: row.name,
  tax: { gst: row.gst, pst: row.pst, hst: row.hst, total: row.total }
})

export class Provinces extends Context.Service<Provinces>()("maplehustle/provinces/Provinces", {
  make: Effect.gen(function*() {
    const repo = yield* ProvincesRepo

    const list = Effect.fn("Provinces.list")(function*() {
      return (yield* repo.list()).map(view)
    })

    const get = Effect.fn("Provinces.get")(function*(code: string) {
      const row = yield* repo.findByCode(code.toUpperCase())
      return yield* Option.match(row, {
        onNone: () => Effect.fail(new NotFound({ message: `No province or territory has the code ${code.toUpperCase()}` })),
        onSome: (r) => Effect.succeed(view(r))
      })
    })

    return { list, get }
  })
}) {
  static readonly layerNoDeps = Layer.effect(this, this.make)
  static readonly layer = this.layerNoDeps.pipe(Layer.provide(ProvincesRepo.layer))
}
