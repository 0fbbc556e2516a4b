/**
 * Batched lookups for repositories, on `effect/sql`'s `SqlResolver`.
 *
 * Every lookup by key or by parent key goes through one of these: lookups
 * made in the same tick (an `Effect.forEach`/`Effect.all` with concurrency,
 * or concurrent requests) become one statement per resolver, bound as one
 * array parameter (`= ANY($1)`), so the statement text is the same for any
 * batch size. Inside a transaction they batch apart, on the transaction's
 * connection, and see its writes.
 *
 * - Repeated keys are safe: `byId` leaves them to `SqlResolver.findById`,
 *   which answers every caller of a repeated id; `byParent` hands `execute`
 *   each parent once, so a repeated parent gets its rows once.
 * - One span per batch, its statement's, carrying the lookup's name, the
 *   batch size and links to the callers; never one per lookup, so a composite
 *   read's spans do not grow with its size.
 * - Each lookup is cached for the rest of its HTTP request (`RequestScope`).
 * - Batches above `MAX_BATCH` lookups run as several statements.
 */
import { Array as Arr, Context, Effect, Option, type Request, RequestResolver, Schema, Tracer } from "effect"
import * as SqlResolver from "effect/sql/SqlResolver"
import type { SqlError } from "effect/sql/SqlError"
import * as RequestScope from "./RequestScope.ts"

export const MAX_BATCH = 5_000

type Execute<Row> = (keys: Arr.NonEmptyArray<string>) => Effect.Effect<ReadonlyArray<Row>, SqlError>

/**
 * The batch's statement span stands for the batch: it carries the lookup's
 * name (`code.function.name`), the batch size and links to the spans of the
 * other callers whose lookups joined it. `RequestResolver.withSpan` would wrap
 * it in a second span saying the same, and every span exported costs the
 * request (`docs/benchmarks/tracing.md`).
 */
const traced = <A extends Request.Any>(name: string, resolver: RequestResolver.RequestResolver<A>) =>
  RequestResolver.makeWith<A>({
    ...resolver,
    runAll: (entries, key) =>
      Effect.withFiber((fiber) => {
        // The batch runs in the context of the caller that started it: its span is the statement's parent.
        const own = Context.getOrUndefined(fiber.context, Tracer.ParentSpan)
        const callers = new Set<Tracer.AnySpan>()
        for (const entry of entries) {
          const span = Context.getOrUndefined(entry.context, Tracer.ParentSpan)
          if (span !== undefined && span !== own) callers.add(span)
        }
        const run = Effect.annotateSpans(resolver.runAll(entries, key), {
          "code.function.name": name,
          "lookup.batch_size": entries.length
        })
        return callers.size === 0 ? run : Effect.linkSpans(run, [...callers])
      })
  })

const finish = <R extends RequestResolver.RequestResolver<any>>(name: string, resolver: R): R =>
  traced(name, resolver.pipe(RequestResolver.batchN(MAX_BATCH))) as unknown as R

/**
 * Rows by their own id: `Some(row)`, or `None` when no row has that id.
 * `execute` returns the rows of the ids it is given, in any order.
 */
export const byId = <Id extends string, Row>(name: string, options: {
  readonly id: (row: Row) => string
  readonly execute: Execute<Row>
}): (id: Id) => Effect.Effect<Option.Option<Row>> => {
  const resolver = finish(
    name,
    SqlResolver.findById({
      Id: Schema.String,
      Result: Schema.Any,
      ResultId: (_, row: Row) => options.id(row),
      execute: (ids) => RequestScope.lookupRead(options.execute(ids))
    })
  )
  return (id) =>
    RequestScope.cached(
      `${name}:${id}`,
      SqlResolver.request(id, resolver).pipe(Effect.catchNoSuchElement, Effect.orDie) as Effect.Effect<Option.Option<Row>>
    )
}

/**
 * The rows of a parent (a user's services, an order's payments): an empty
 * array when it has none. `execute` is given each parent once and returns
 * their rows in the order each parent's rows should keep; `parent` names the
 * parent a row belongs to.
 */
export const byParent = <Key extends string, Row>(name: string, options: {
  readonly parent: (row: Row) => string
  readonly execute: Execute<Row>
}): (key: Key) => Effect.Effect<ReadonlyArray<Row>> => {
  const resolver = finish(
    name,
    SqlResolver.grouped({
      Request: Schema.String,
      RequestGroupKey: (key: string) => key,
      Result: Schema.Any,
      ResultGroupKey: (_, row: Row) => options.parent(row),
      execute: (keys) => RequestScope.lookupRead(options.execute([...new Set(keys)] as Arr.NonEmptyArray<string>))
    })
  )
  return (key) =>
    RequestScope.cached(
      `${name}:${key}`,
      SqlResolver.request(key, resolver).pipe(
        Effect.catchNoSuchElement,
        Effect.map(Option.getOrElse((): ReadonlyArray<Row> => [])),
        Effect.orDie
      )
    )
}
