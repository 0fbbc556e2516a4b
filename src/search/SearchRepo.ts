/**
 * Read-only SQL of search that spans features: suggestions by prefix over
 * service titles, item names and provider names. The prefix is matched with
 * `LIKE` after escaping its wildcards, on the `lower(...) text_pattern_ops`
 * indexes of services and items.
 */
import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"

export type SuggestionType = "services" | "items" | "providers"

export interface SuggestionRow {
  readonly text: string
  readonly type: SuggestionType
  readonly id: string
}

/** `LIKE` pattern for "starts with `prefix`", whatever characters the prefix holds. */
const startsWith = (prefix: string) => `${prefix.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`

export class SearchRepo extends Context.Service<SearchRepo>()("maplehustle/search/SearchRepo", {
  make: Effect.gen(function*() {
    const sql = yield* SqlClient

    const suggestions = Effect.fn("SearchRepo.suggestions")(
      function*(prefix: string, types: ReadonlyArray<SuggestionType>, limit: number) {
        const pattern = startsWith(prefix)
        const parts = types.map((type) => {
          switch (type) {
            case "services":
              return sql`(SELECT title AS text, 'services' AS type, id::text AS id FROM services
                          WHERE lower(title) LIKE ${pattern} AND deleted_at IS NULL AND status = 'active'
                          ORDER BY lower(title), id LIMIT ${limit})`
            case "items":
              return sql`(SELECT name AS text, 'items' AS type, id::text AS id FROM items
                          WHERE lower(name) LIKE ${pattern} AND deleted_at IS NULL
                          ORDER BY lower(name), id LIMIT ${limit})`
            case "providers":
              return sql`(SELECT name AS text, 'providers' AS type, id::text AS id FROM users
                          WHERE lower(name) LIKE ${pattern} AND role = 'provider' AND deleted_at IS NULL AND status = 'active'
                          ORDER BY lower(name), id LIMIT ${limit})`
          }
        })
        return yield* sql<SuggestionRow>`
          SELECT text, type, id FROM (${sql.join(" UNION ALL ", false)(parts)}) s
          ORDER BY lower(text), type, id LIMIT ${limit}`
      },
      Effect.orDie
    )

    return { suggestions }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}
