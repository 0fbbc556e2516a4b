/**
 * Search that spans features (suggestions by prefix). Service search itself
 * lives with the services (`listings/Services.ts`), whose rows it reads.
 */
import { Context, Effect, Layer } from "effect"
import { type SuggestionType, SearchRepo } from "./SearchRepo.ts"

const allTypes: ReadonlyArray<SuggestionType> = ["services", "items", "providers"]

export class Search extends Context.Service<Search>()("maplehustle/search/Search", {
  make: Effect.gen(function*() {
    const repo = yield* SearchRepo

    const suggestions = Effect.fn("Search.suggestions")(function*(q: string, type: SuggestionType | undefined, limit: number | undefined) {
      const rows = yield* repo.suggestions(q, type === undefined ? allTypes : [type], limit ?? 10)
      return { query: q, suggestions: rows }
    })

    return { suggestions }
  })
}) {
  static readonly layerNoDeps = Layer.effect(this, this.make)
  static readonly layer = this.layerNoDeps.pipe(Layer.provide(SearchRepo.layer))
}
