/**
 * Search that spans features (suggestions, providers). Service and item search
 * live with their features (`listings/Services.ts`, `items/Items.ts`).
 */
import { Context, Effect, Layer } from "effect"
import { DEFAULT_LIMIT, keysetPage, Page } from "../domain/Page.ts"
import { Cache, paramsKey } from "../infra/Cache.ts"
import { Tags } from "../listings/CachedReads.ts"
import { PublicUserView } from "../users/Api.ts"
import { publicUserView } from "../users/Users.ts"
import { type SuggestionType, SearchRepo } from "./SearchRepo.ts"

const allTypes: ReadonlyArray<SuggestionType> = ["services", "items", "providers"]

const ProviderPage = Page(PublicUserView)

export class Search extends Context.Service<Search>()("maplehustle/search/Search", {
  make: Effect.gen(function*() {
    const repo = yield* SearchRepo
    const cache = yield* Cache

    const suggestions = Effect.fn("Search.suggestions")(function*(q: string, type: SuggestionType | undefined, limit: number | undefined) {
      const rows = yield* repo.suggestions(q, type === undefined ? allTypes : [type], limit ?? 10)
      return { query: q, suggestions: rows }
    })

    const providers = Effect.fn("Search.providers")(function*(query: {
      readonly q?: string | undefined
      readonly province?: string | undefined
      readonly city?: string | undefined
      readonly service_type?: string | undefined
      readonly min_rating?: number | undefined
      readonly limit?: number | undefined
      readonly cursor?: string | undefined
    }) {
      const page = keysetPage(query, (after, limit) => repo.providers({
        q: query.q,
        province: query.province,
        city: query.city,
        serviceType: query.service_type,
        minRating: query.min_rating,
        after,
        limit
      }), publicUserView, (row) => [row.sortKey, row.id])
      return yield* cache.value({
        entity: "search.providers",
        key: paramsKey({ ...query, q: query.q?.trim().toLowerCase(), limit: query.limit ?? DEFAULT_LIMIT }),
        schema: ProviderPage,
        ttl: "15 minutes",
        tags: [Tags.searchProviders],
        lookup: page
      })
    })

    return { suggestions, providers }
  })
}) {
  static readonly layerNoDeps = Layer.effect(this, this.make)
  static readonly layer = this.layerNoDeps.pipe(Layer.provide(SearchRepo.layer))
}
