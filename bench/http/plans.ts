// @effect-diagnostics processEnv:off
/**
 * `EXPLAIN (ANALYZE, BUFFERS)` of the main searches, as the repositories build
 * them: each repository call runs with a statement transformer that prefixes
 * its SQL with EXPLAIN, so the plans are of the exact statements the service
 * sends. Used by `bench/http/run.ts` on the seeded dataset.
 */
import { ConfigProvider, Effect, Layer, ManagedRuntime, Option } from "effect"
import * as Statement from "effect/sql/Statement"
import { PgLive } from "../../src/infra/Sql.ts"
import { ItemsRepo } from "../../src/items/ItemsRepo.ts"
import { ServicesRepo } from "../../src/listings/ServicesRepo.ts"
import { SearchRepo } from "../../src/search/SearchRepo.ts"

const explain: Statement.Transformer = (self, sql) => Effect.succeed(sql`EXPLAIN (ANALYZE, BUFFERS) ${self}`)

/** The plan of the one statement `effect` runs; it returns the EXPLAIN rows in place of its own. */
const planOf = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(
    Effect.provideService(effect, Statement.CurrentTransformer, explain),
    // One text column, "QUERY PLAN", per line of the plan.
    (rows) => (rows as unknown as ReadonlyArray<Record<string, string>>).map((row) => Object.values(row)[0]).join("\n")
  )

export const searchPlans = async (databaseUrl: string) => {
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(ServicesRepo.layer, ItemsRepo.layer, SearchRepo.layer).pipe(
      Layer.provide(PgLive),
      Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ DATABASE_URL: databaseUrl })))
    )
  )
  const tomorrow = new Date(new Date().toISOString().slice(0, 10))
  tomorrow.setUTCDate(tomorrow.getUTCDate() + 1)
  const window = { from: new Date(tomorrow.getTime() + 10 * 3_600_000), to: new Date(tomorrow.getTime() + 12 * 3_600_000) }
  const page = { after: Option.none(), limit: 20 } as const
  const plans = await runtime.runPromise(Effect.all({
    "GET /search/services?q=dog walking (relevance)": ServicesRepo.use((repo) =>
      planOf(repo.search({ q: "dog walking", sort: "relevance", ...page }))),
    "GET /search/services?q=hedge trimming&province=ON&sort=rating": ServicesRepo.use((repo) =>
      planOf(repo.search({ q: "hedge trimming", province: "ON", sort: "rating", ...page }))),
    "GET /search/services?type=house_cleaning&sort=rate_asc": ServicesRepo.use((repo) =>
      planOf(repo.search({ type: "house_cleaning", sort: "rate_asc", ...page }))),
    "GET /search/services/available (tomorrow 10:00–12:00)": ServicesRepo.use((repo) =>
      planOf(repo.availableIn({ ...window, ...page }))),
    "GET /search/items?q=maple syrup (relevance)": ItemsRepo.use((repo) =>
      planOf(repo.search({ q: "maple syrup", sort: "relevance", ...page }))),
    "GET /search/providers?q=cleaning": SearchRepo.use((repo) =>
      planOf(repo.providers({ q: "cleaning", ...page }))),
    "GET /search/suggestions?q=dog": SearchRepo.use((repo) =>
      planOf(repo.suggestions("dog", ["services", "items", "providers"], 10)))
  }, { concurrency: 1 }))
  await runtime.dispose()
  return plans
}
