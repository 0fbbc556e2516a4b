/**
 * What one HTTP request keeps for itself while it runs: how many statements it
 * sent to the database (the query budget, `X-Db-Statements`) and the rows its
 * batched lookups already loaded (the request cache).
 *
 * The cache is never process-wide: a scope lives exactly as long as its
 * request, so no row crosses from one user's request to another's, and every
 * statement that is not a batched lookup's read (any write, `BEGIN`,
 * `COMMIT`, `ROLLBACK`, a list query) empties it, so a request never reuses a
 * row it read before its own write. Outside a request (jobs, cron, scripts)
 * there is no scope: nothing is counted and nothing is cached.
 *
 * A lookup batch serves every caller of the same tick, possibly several
 * requests; its statement counts for the request whose fiber opened it.
 */
import { Context, Effect } from "effect"

export interface RequestScope {
  /** Statements sent on behalf of this request. */
  statements: number
  /** The template of the route that served it (`/services/:id`), once routed. */
  route: string | undefined
  /** The authenticated caller, once known (never the email). */
  userId: string | undefined
  /** Bumped by every statement that empties the cache, so a read that raced a write is not kept. */
  generation: number
  /** Successful lookups' values by lookup key. */
  readonly cache: Map<string, unknown>
}

export const make = (): RequestScope => ({ statements: 0, route: undefined, userId: undefined, generation: 0, cache: new Map() })

export const CurrentRequestScope = Context.Reference<RequestScope | undefined>(
  "maplehustle/infra/RequestScope/CurrentRequestScope",
  { defaultValue: () => undefined }
)

/** Set while a batched lookup runs its read: the one kind of statement that leaves the cache as it is. */
const LookupRead = Context.Reference<boolean>("maplehustle/infra/RequestScope/LookupRead", { defaultValue: () => false })

/** Marks `read` as a batched lookup's read statement. */
export const lookupRead = <A, E, R>(read: Effect.Effect<A, E, R>) => Effect.provideService(read, LookupRead, true)

/**
 * Called by the database client for every statement it sends: counts it
 * against the current request and, unless it is a lookup's read, empties the
 * request's cache.
 */
export const recordStatement = <A, E, R>(statement: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) => {
    const scope = fiber.getRef(CurrentRequestScope)
    if (scope !== undefined) {
      scope.statements++
      if (!fiber.getRef(LookupRead)) {
        scope.cache.clear()
        scope.generation++
      }
    }
    return statement
  })

/**
 * `lookup` once per request for `key`: a later call in the same request,
 * with no statement in between that could have changed the row, answers
 * from the scope. Failures are not kept.
 */
export const cached = <A, E, R>(key: string, lookup: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) => {
    const scope = fiber.getRef(CurrentRequestScope)
    if (scope === undefined) return lookup
    if (scope.cache.has(key)) return Effect.succeed(scope.cache.get(key) as A)
    const generation = scope.generation
    return Effect.map(lookup, (value) => {
      if (scope.generation === generation) scope.cache.set(key, value)
      return value
    })
  })
