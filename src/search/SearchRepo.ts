/**
 * Read-only SQL of search that spans features: suggestions by prefix over
 * service titles, item names and provider names. The prefix is matched with
 * `LIKE` after escaping its wildcards, and bounded by an explicit range on
 * the `lower(...) text_pattern_ops` indexes of services and items: a prepared
 * statement soon runs a generic plan, and a generic plan cannot turn
 * `LIKE $1` into an index range (it scanned every service).
 */
import { Context, Effect, Layer, type Option } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { Role, UserId } from "../domain/User.ts"
import { keyset } from "../infra/Sql.ts"

export type SuggestionType = "services" | "items" | "providers"

export interface SuggestionRow {
  readonly text: string
  readonly type: SuggestionType
  readonly id: string
}

/** Lower-cased `text` with LIKE's wildcards escaped, so it matches only itself. */
const literal = (text: string) => text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)

export interface ProviderRow {
  readonly id: UserId
  readonly name: string
  readonly role: Role
  readonly city: string | null
  readonly provinceCode: string | null
  readonly ratingSum: number
  readonly ratingCount: number
  readonly sortKey: string
}

export class SearchRepo extends Context.Service<SearchRepo>()("maplehustle/search/SearchRepo", {
  make: Effect.gen(function*() {
    const sql = yield* SqlClient

    const suggestions = Effect.fn("SearchRepo.suggestions")(
      function*(prefix: string, types: ReadonlyArray<SuggestionType>, limit: number) {
        const pattern = `${literal(prefix)}%`
        // Every string that starts with the prefix sorts, byte by byte, between it and it followed by U+10FFFF.
        const from = prefix.toLowerCase()
        const until = `${from}\u{10FFFF}`
        const parts = types.map((type) => {
          switch (type) {
            case "services":
              return sql`(SELECT title AS text, 'services' AS type, id::text AS id FROM services
                          WHERE lower(title) ~>=~ ${from} AND lower(title) ~<~ ${until} AND lower(title) LIKE ${pattern}
                            AND deleted_at IS NULL AND status = 'active'
                          ORDER BY lower(title), id LIMIT ${limit})`
            case "items":
              return sql`(SELECT name AS text, 'items' AS type, id::text AS id FROM items
                          WHERE lower(name) ~>=~ ${from} AND lower(name) ~<~ ${until} AND lower(name) LIKE ${pattern}
                            AND deleted_at IS NULL
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

    /**
     * Active providers whose name contains `q` or who offer an active service
     * matching it, best rated first (unrated last), in keyset pages.
     */
    const providers = Effect.fn("SearchRepo.providers")(function*(filter: {
      readonly q?: string | undefined
      readonly province?: string | undefined
      readonly city?: string | undefined
      readonly serviceType?: string | undefined
      readonly minRating?: number | undefined
      readonly after: Option.Option<readonly [string, string]>
      readonly limit: number
    }) {
      const average = sql`CASE WHEN u.rating_count = 0 THEN -1 ELSE u.rating_sum::numeric / u.rating_count END`
      const page = keyset(sql, { key: average, cast: sql`numeric`, desc: true }, sql`u.id`, filter.after)
      const contains = filter.q === undefined ? undefined : `%${literal(filter.q)}%`
      return yield* sql<ProviderRow>`
        SELECT u.id, u.name, u.role, u.city, u.province_code, u.rating_sum, u.rating_count, ${average}::text AS sort_key
        FROM users u
        WHERE u.role = 'provider' AND u.status = 'active' AND u.deleted_at IS NULL
          AND ${filter.q === undefined ? sql`true` : sql`(lower(u.name) LIKE ${contains} OR EXISTS (
                SELECT 1 FROM services s WHERE s.provider_id = u.id AND s.deleted_at IS NULL AND s.status = 'active'
                  AND s.search @@ websearch_to_tsquery('english', ${filter.q})))`}
          AND ${filter.province === undefined ? sql`true` : sql`u.province_code = ${filter.province}`}
          AND ${filter.city === undefined ? sql`true` : sql`lower(u.city) = lower(${filter.city})`}
          AND ${filter.serviceType === undefined ? sql`true` : sql`EXISTS (
                SELECT 1 FROM services s WHERE s.provider_id = u.id AND s.deleted_at IS NULL AND s.status = 'active'
                  AND s.type = ${filter.serviceType}::service_type)`}
          AND ${filter.minRating === undefined ? sql`true` : sql`u.rating_count > 0 AND u.rating_sum::numeric / u.rating_count >= ${filter.minRating}`}
          AND ${page.after}
        ORDER BY ${page.orderBy}
        LIMIT ${filter.limit + 1}`
    }, Effect.orDie)

    return { suggestions, providers }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}
