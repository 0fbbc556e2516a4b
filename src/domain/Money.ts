/**
 * Money on the wire (API.md): decimal strings with exactly two decimals,
 * never floats. Inputs may be a string or a JSON number with at most two
 * decimals; they decode to the canonical string (`30` → `"30.00"`).
 */
import { Schema, SchemaGetter } from "effect"

/** An amount within `[0, max]`, decoded to `"25.00"`. */
export const Amount = (max: number) =>
  Schema.Union([Schema.String, Schema.Number]).pipe(
    Schema.decodeTo(
      Schema.String.check(
        Schema.isPattern(/^\d{1,7}\.\d{2}$/, { message: `a decimal amount with at most two decimals, at most ${max}` }),
        Schema.makeFilter((s: string) => Number(s) <= max || `at most ${max}`)
      ),
      {
        decode: SchemaGetter.transform((v: string | number) => {
          const text = String(v).trim()
          return /^\d+(\.\d{1,2})?$/.test(text) ? Number(text).toFixed(2) : text
        }),
        encode: SchemaGetter.transform((s: string) => s)
      }
    )
  )
