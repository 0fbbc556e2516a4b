/**
 * Canada's provinces and territories with the sales-tax rates in force
 * today: for each province, its `tax_rules` row with the latest
 * `effective_from` that has come. Rates leave Postgres as decimal strings
 * without trailing zeros (`0.13`, `0.14975`, `0`), never as floats.
 */
import { Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql/SqlClient"

export interface ProvinceRow {
  readonly code: string
  readonly name: string
  readonly gst: string
  readonly pst: string
  readonly hst: string
  readonly total: string
}

export class ProvincesRepo extends Context.Service<ProvincesRepo>()("maplehustle/provinces/ProvincesRepo", {
  make: Effect.gen(function*() {
    const sql = yield* SqlClient

    const select = (code: string | undefined) =>
      sql<ProvinceRow>`
        SELECT p.code, p.name, trim_scale(t.gst)::text AS gst, trim_scale(t.pst)::text AS pst,
               trim_scale(t.hst)::text AS hst, trim_scale(t.total)::text AS total
        FROM canadian_provinces p
        JOIN LATERAL (
          SELECT gst, pst, hst, total FROM tax_rules
          WHERE province_code = p.code AND effective_from <= current_date
          ORDER BY effective_from DESC LIMIT 1
        ) t ON true
        WHERE ${code === undefined ? sql`true` : sql`p.code = ${code}`}
        ORDER BY p.code`

    const list = Effect.fn("ProvincesRepo.list")(function*() {
      return yield* select(undefined)
    }, Effect.orDie)

    /** `code` in upper case; `None` when no such province exists. */
    const findByCode = Effect.fn("ProvincesRepo.findByCode")(function*(code: string) {
      return Option.fromNullishOr((yield* select(code))[0])
    }, Effect.orDie)

    return { list, findByCode }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}
