// @effect-diagnostics processEnv:off
/**
 * `npm run bench:reads`: the composite reads, in process against Postgres.
 *
 * 1. The user overview of accounts with N = 10, 100 and 500 bookings and as
 *    many orders: the service's batched implementation (`Overviews.user`) and
 *    a deliberately naive one kept only here (a query per relation of every
 *    row, as ORMs do by default), interleaved in rounds in the same run:
 *    statements per request, latency (median and p95 of the rounds' medians
 *    are not mixed: every call's time is pooled), and spans per request.
 * 2. The CPU cost of a logical lookup through a resolver (request, batch,
 *    dedupe, request cache, span) against one plain `= ANY($1)` query
 *    returning the same rows, for batches of 10, 100 and 1,000 ids.
 *
 * Writes `docs/benchmarks/reads.md`; `BENCH_QUICK=1` for a short run (then
 * nothing is written).
 */
import { ConfigProvider, Effect, Layer, ManagedRuntime, Tracer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as Os from "node:os"
import pg from "pg"
import type { UserId } from "../../src/domain/User.ts"
import * as RequestScope from "../../src/infra/RequestScope.ts"
import { SqlLive } from "../../src/infra/Sql.ts"
import { layer as CacheLive } from "../../src/infra/Cache.ts"
import { JobQueue } from "../../src/infra/JobQueue.ts"
import { Redis } from "../../src/infra/Redis.ts"
import { Overviews } from "../../src/overviews/Overviews.ts"
import { UsersRepo } from "../../src/users/UsersRepo.ts"
import { insertAccount } from "../../test/utils/fixtures.ts"
import { adminUrl, log, quick, writeReport } from "../support.ts"

const ROUNDS = quick ? 2 : 5
const databaseName = "mh_bench_reads"
const databaseUrl = adminUrl.replace(/\/[^/]*$/, `/${databaseName}`)
const SIZES = [10, 100, 500] as const
/** Calls per implementation per round: fewer for the big accounts, so each round takes about as long. */
const CALLS: Record<(typeof SIZES)[number], number> = quick ? { 10: 10, 100: 4, 500: 2 } : { 10: 40, 100: 12, 500: 4 }
const LOOKUPS = [10, 100, 1000] as const

const fmt = (n: number, digits = 0) => n.toLocaleString("en-CA", { maximumFractionDigits: digits, minimumFractionDigits: digits })
const quantile = (xs: ReadonlyArray<number>, q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!
const median = (xs: ReadonlyArray<number>) => quantile(xs, 0.5)

const admin = new pg.Pool({ connectionString: adminUrl, max: 1 })
await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`)
await admin.query(`CREATE DATABASE ${databaseName}`)
await admin.end()

const runtime = ManagedRuntime.make(
  Overviews.layer.pipe(
    Layer.provideMerge(UsersRepo.layer),
    Layer.provide([JobQueue.layer, CacheLive.pipe(Layer.provide(Redis.layer))]),
    Layer.provideMerge(SqlLive),
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ DATABASE_URL: databaseUrl, DB_POOL_MIN: "1", CACHE_ENABLED: "false" })))
  )
)
const run = <A, E>(effect: Effect.Effect<A, E, Overviews | UsersRepo | SqlClient>) => runtime.runPromise(effect)

// ---- the naive implementation: one query per relation of every row ----

const naiveUserOverview = (id: UserId) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    // Not \`*\` for services and bookings: @effect/sql-pg cannot decode their \`tsvector\` and \`tstzrange\` columns.
    const serviceColumns = sql.literal(`s.id, s.provider_id, s.type, s.title, s.description, s.terms, s.hourly_rate, s.daily_rate,
      s.is_featured, s.status, s.created_at, s.updated_at, u.name, u.role, u.city, u.province_code, u.rating_sum, u.rating_count`)
    const [user] = yield* sql`SELECT * FROM users WHERE id = ${id} AND deleted_at IS NULL`
    const services = yield* sql`SELECT ${serviceColumns} FROM services s JOIN users u ON u.id = s.provider_id
      WHERE s.provider_id = ${id} AND s.deleted_at IS NULL ORDER BY s.created_at DESC`
    const bookings = yield* sql<{ serviceId: string; clientId: string; providerId: string }>`
      SELECT id, client_id, provider_id, service_id, lower(period) AS start_at, upper(period) AS end_at, status,
             total_amount, platform_fee, currency, notes, cancellation_reason, created_at, updated_at
      FROM bookings WHERE client_id = ${id} OR provider_id = ${id} ORDER BY created_at DESC, id DESC LIMIT 500`
    const detailed = []
    for (const booking of bookings) {
      const [service] = yield* sql`SELECT ${serviceColumns} FROM services s JOIN users u ON u.id = s.provider_id WHERE s.id = ${booking.serviceId}`
      const [client] = yield* sql`SELECT * FROM users WHERE id = ${booking.clientId}`
      const [provider] = yield* sql`SELECT * FROM users WHERE id = ${booking.providerId}`
      detailed.push({ ...booking, service, client, provider })
    }
    const orders = yield* sql<{ id: string }>`SELECT * FROM orders WHERE client_id = ${id} ORDER BY created_at DESC, id DESC LIMIT 500`
    const withLines = []
    for (const order of orders) {
      const items = yield* sql`SELECT * FROM order_items WHERE order_id = ${order.id}`
      const payments = yield* sql`SELECT * FROM payments WHERE order_id = ${order.id} ORDER BY created_at`
      withLines.push({ ...order, items, payments })
    }
    const messages = yield* sql`
      SELECT * FROM messages WHERE sender_id = ${id} OR receiver_id = ${id} ORDER BY created_at DESC LIMIT 20`
    return { user, services, bookings: detailed, orders: withLines, recent_messages: messages }
  })

// ---- measuring ----

/** A counting tracer: every span the call starts, by name. */
/** Keeps every span made; a batch's statement span is named by the lookup it carries (`code.function.name`). */
const recordingTracer = (spans: Array<Tracer.NativeSpan>) =>
  Tracer.make({
    span(options) {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    }
  })

/** One call as one HTTP request makes it: its own scope (statements, request cache) under a root span. */
const measure = async <A, E>(effect: Effect.Effect<A, E, Overviews | UsersRepo | SqlClient>) => {
  const scope = RequestScope.make()
  const started = performance.now()
  await run(Effect.provideService(effect, RequestScope.CurrentRequestScope, scope).pipe(Effect.withSpan("request")))
  return { ms: performance.now() - started, statements: scope.statements }
}

const spansOf = async <A, E>(effect: Effect.Effect<A, E, Overviews | UsersRepo | SqlClient>) => {
  const spans: Array<Tracer.NativeSpan> = []
  await run(effect.pipe(
    Effect.withSpan("request"),
    Effect.provideService(RequestScope.CurrentRequestScope, RequestScope.make()),
    Effect.provideService(Tracer.Tracer, recordingTracer(spans))
  ))
  return spans.map((span) => {
    const lookup = span.attributes.get("code.function.name")
    return lookup === undefined ? span.name : `${span.name} (${String(lookup)})`
  })
}

log("seeding accounts")
const accounts = new Map<number, UserId>()
for (const n of SIZES) {
  const account = await run(insertAccount({ bookings: n, orders: n }))
  accounts.set(n, account.client as UserId)
}
const lookupIds = (await run(SqlClient.use((sql) => sql<{ id: UserId }>`
  INSERT INTO users (email, password_hash, name, role, province_code)
  SELECT 'lookup.' || g || '@bench.maplehustle.test', 'x', 'Lookup ' || g, 'client', 'ON' FROM generate_series(1, 1000) AS g
  RETURNING id`))).map((row) => row.id)
await run(SqlClient.use((sql) => sql`VACUUM ANALYZE`))

const batched = (id: UserId) => Overviews.use((o) => o.user({ id, role: "client" }, id))
const naive = (id: UserId) => naiveUserOverview(id)

// Warm-up: the JIT, prepared statements, the pool.
for (let i = 0; i < (quick ? 5 : 20); i++) {
  await measure(batched(accounts.get(10)!))
  await measure(naive(accounts.get(10)!))
}

interface Sample { ms: Array<number>; statements: Set<number> }
const samples = new Map<string, Sample>()
const record = (key: string, result: { ms: number; statements: number }) => {
  const sample = samples.get(key) ?? { ms: [], statements: new Set() }
  sample.ms.push(result.ms)
  sample.statements.add(result.statements)
  samples.set(key, sample)
}
for (let round = 1; round <= ROUNDS; round++) {
  log(`round ${round}/${ROUNDS}`)
  for (const n of SIZES) {
    const id = accounts.get(n)!
    for (let i = 0; i < CALLS[n]; i++) record(`batched ${n}`, await measure(batched(id)))
    for (let i = 0; i < CALLS[n]; i++) record(`naive ${n}`, await measure(naive(id)))
  }
}
const spans = new Map<string, number>()
for (const n of SIZES) {
  spans.set(`batched ${n}`, (await spansOf(batched(accounts.get(n)!))).length)
  spans.set(`naive ${n}`, (await spansOf(naive(accounts.get(n)!))).length)
}
const batchedSpanNames = [...new Set(await spansOf(batched(accounts.get(500)!)))].sort()

// ---- CPU per lookup: resolver vs one plain ANY($1) query ----

const columns = `id, email::text AS email, name, role, status, verification_status, email_verified_at, phone_number,
  city, postal_code, province_code, preferred_contact_method, profile_image_file_id, rating_sum, rating_count, created_at, deleted_at`
const viaResolver = (ids: ReadonlyArray<UserId>) =>
  UsersRepo.use((users) => Effect.forEach(ids, users.findAnyById, { concurrency: "unbounded" }))
const viaPlainQuery = (ids: ReadonlyArray<UserId>) =>
  SqlClient.use((sql) => sql.unsafe(`SELECT ${columns} FROM users WHERE id = ANY($1::uuid[])`, [ids]))

const cpuPerCall = async (effect: () => Effect.Effect<unknown, unknown, Overviews | UsersRepo | SqlClient>, calls: number) => {
  const before = process.cpuUsage()
  for (let i = 0; i < calls; i++) await measure(effect())
  const used = process.cpuUsage(before)
  return (used.user + used.system) / calls
}
const lookupCost = new Map<number, { resolver: Array<number>; plain: Array<number> }>()
for (const size of LOOKUPS) {
  const ids = lookupIds.slice(0, size)
  const calls = quick ? 20 : Math.max(50, Math.round(40_000 / size))
  const cost = { resolver: [] as Array<number>, plain: [] as Array<number> }
  await cpuPerCall(() => viaResolver(ids), 10)
  await cpuPerCall(() => viaPlainQuery(ids), 10)
  for (let round = 0; round < ROUNDS; round++) {
    cost.resolver.push(await cpuPerCall(() => viaResolver(ids), calls))
    cost.plain.push(await cpuPerCall(() => viaPlainQuery(ids), calls))
  }
  lookupCost.set(size, cost)
  log(`lookups ×${size}: resolver ${fmt(median(cost.resolver))} µs, plain ${fmt(median(cost.plain))} µs per call`)
}
await runtime.dispose()

// ---- report ----

const version = await (async () => {
  const db = new pg.Pool({ connectionString: databaseUrl, max: 1 })
  const row = (await db.query<{ server_version: string }>("SHOW server_version")).rows[0]!
  await db.end()
  return row.server_version
})()

const overviewRows = SIZES.map((n) => {
  const b = samples.get(`batched ${n}`)!
  const v = samples.get(`naive ${n}`)!
  return `| ${n} | ${[...b.statements].join("/")} | ${[...v.statements].join("/")} | ${fmt(median(b.ms), 1)} | ${fmt(quantile(b.ms, 0.95), 1)} | ${
    fmt(median(v.ms), 1)
  } | ${fmt(quantile(v.ms, 0.95), 1)} | ${fmt(median(v.ms) / median(b.ms), 1)}× | ${spans.get(`batched ${n}`)} | ${spans.get(`naive ${n}`)} |`
})
const lookupRows = LOOKUPS.map((size) => {
  const cost = lookupCost.get(size)!
  const resolver = median(cost.resolver)
  const plain = median(cost.plain)
  return `| ${fmt(size)} | ${fmt(resolver)} | ${fmt(plain)} | ${fmt(resolver / size, 1)} | ${fmt(plain / size, 1)} | ${fmt((resolver - plain) / size, 1)} |`
})

const report = `# Composite reads (\`npm run bench:reads\`)

Run on ${new Date().toISOString().slice(0, 10)}: ${Os.cpus().length} × ${Os.cpus()[0]?.model.trim()}, Node ${process.version},
PostgreSQL ${version} on the same machine; in process (no HTTP), one request at a time, ${ROUNDS} interleaved rounds.

## The user overview, batched vs naive

An account with N bookings (over three providers and six services) and N orders (one line and one payment each), plus
three messages. *Batched* is \`Overviews.user\`: two waves of batched lookups. *Naive* (kept only in the benchmark) loads
each relation of each row with its own query. Statements and spans are per request (authentication is not part of
either); latency is over every call of every round.

| N | statements, batched | statements, naive | batched median ms | batched p95 ms | naive median ms | naive p95 ms | naive ÷ batched | spans, batched | spans, naive |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${overviewRows.join("\n")}

Spans of the batched overview (N = 500), each name once per request: ${batchedSpanNames.map((name) => `\`${name}\``).join(", ")}.

## CPU per logical lookup: resolver vs one plain query

\`UsersRepo.findAnyById\` for K distinct ids at once (\`Effect.forEach\`, unbounded concurrency: requests, one batch,
dedupe, request cache, the batch's statement span) against one \`SELECT … WHERE id = ANY($1)\` returning the same K
rows through the same client. Process CPU (user + system) per call, median of ${ROUNDS} rounds; Postgres' own CPU is
not included. The difference per lookup is what the batching machinery costs.

| K ids | resolver µs/call | plain µs/call | resolver µs/lookup | plain µs/lookup | overhead µs/lookup |
|---:|---:|---:|---:|---:|---:|
${lookupRows.join("\n")}
`

await writeReport("reads.md", report)
