/**
 * Keyset pagination (API.md "lists"): `?limit=` 1–100 (default 20) and an
 * opaque `?cursor=`; responses are `{ items, next_cursor }`. A cursor is the
 * base64url JSON of the last row's sort key, so pages stay stable under inserts.
 */
import { Effect, Option, Schema, SchemaGetter } from "effect"
import { BadRequest } from "./Errors.ts"

export const Limit = Schema.NumberFromString.check(
  Schema.isInt(),
  Schema.isBetween({ minimum: 1, maximum: 100 })
)

/** Query fields every list endpoint takes. */
export const PageQuery = {
  limit: Schema.optional(Limit),
  cursor: Schema.optional(Schema.String.check(Schema.isMaxLength(512)))
}

export const Page = <S extends Schema.Top>(item: S) =>
  Schema.Struct({ items: Schema.Array(item), next_cursor: Schema.NullOr(Schema.String) })

export const DEFAULT_LIMIT = 20

/** How many of a user's or a service's bookings and orders a composite read (an overview) carries: the latest. */
export const OVERVIEW_LIMIT = 500

export const encodeCursor = (key: ReadonlyArray<string | number>) =>
  Buffer.from(Schema.encodeSync(Schema.fromJsonString(Schema.Array(Schema.Union([Schema.String, Schema.Number]))))(key)).toString("base64url")

/** Decodes a cursor made by `encodeCursor`; anything else is a 400 naming the parameter. */
export const decodeCursor = <S extends Schema.Codec<any, unknown>>(cursor: string | undefined, key: S) => {
  if (cursor === undefined) return Effect.succeed(Option.none<S["Type"]>())
  const json = Buffer.from(cursor, "base64url").toString()
  return Option.match(Schema.decodeUnknownOption(Schema.fromJsonString(key))(json), {
    onNone: () => Effect.fail(new BadRequest({ message: "Invalid cursor: pass the next_cursor of a previous page" })),
    onSome: (value) => Effect.succeed(Option.some(value))
  })
}

/** Builds a page from `limit + 1` fetched rows: the extra row only says whether there is a next page. */
export const toPage = <A, B>(rows: ReadonlyArray<A>, limit: number, view: (row: A) => B, key: (row: A) => ReadonlyArray<string | number>) => {
  const items = rows.slice(0, limit)
  const last = items.at(-1)
  return {
    items: items.map(view),
    next_cursor: rows.length > limit && last !== undefined ? encodeCursor(key(last)) : null
  }
}

/** The cursor of keyset lists: the last row's sort key as text (`created_at` to the microsecond, a rank, a price) and its id. */
export const KeysetCursor = Schema.Tuple([Schema.String, Schema.String.check(Schema.isUUID())])

/**
 * A keyset page of a list endpoint: decodes `query.cursor`, fetches `limit + 1`
 * rows after it, and keys the next cursor by `key` of the last row shown.
 */
export const keysetPage = <A, B, E, R>(
  query: { readonly limit?: number | undefined; readonly cursor?: string | undefined },
  fetch: (after: Option.Option<readonly [string, string]>, limit: number) => Effect.Effect<ReadonlyArray<A>, E, R>,
  view: (row: A) => B,
  key: (row: A) => readonly [string, string]
) =>
  Effect.gen(function*() {
    const limit = query.limit ?? DEFAULT_LIMIT
    const after = yield* decodeCursor(query.cursor, KeysetCursor)
    return toPage(yield* fetch(after, limit), limit, view, key)
  })

/** A query-string boolean: exactly `true` or `false`. */
export const BooleanParam = Schema.Literals(["true", "false"]).pipe(
  Schema.decodeTo(Schema.Boolean, {
    decode: SchemaGetter.transform((s: "true" | "false") => s === "true"),
    encode: SchemaGetter.transform((b: boolean) => b ? "true" as const : "false" as const)
  })
)
