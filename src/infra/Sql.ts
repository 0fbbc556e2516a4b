/**
 * The database: one instrumented `PgClient` for the whole process, on the real
 * PostgreSQL of `DATABASE_URL` or, when that is unset, on an embedded PGlite
 * served over a loopback socket so that every code path uses the same client.
 */
import * as NodeServices from "@effect/platform-node/NodeServices"
import type * as PgClientModule from "@effect/sql-pg/PgClient"
import { PgClient } from "@effect/sql-pg/PgClient"
import * as PgMigrator from "@effect/sql-pg/PgMigrator"
import { Config, Context, Duration, Effect, Layer, Option, Redacted, Schedule, String as Str, Tracer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as Statement from "effect/sql/Statement"
import { isSqlError, type SqlError } from "effect/sql/SqlError"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import { migrations } from "../../migrations/index.ts"
import * as Metrics from "./Metrics.ts"
import * as PgPoolClient from "./PgPoolClient.ts"
import * as Settings from "./Settings.ts"

/** Splits a `postgres://` URL into fields: a `url`-only config names spans and dumps badly. */
export const pgConfig = (url: Redacted.Redacted<string>): PgClientModule.PgClientConfig => {
  const parsed = new URL(Redacted.value(url))
  const password = decodeURIComponent(parsed.password)
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, "$1") || "localhost",
    port: parsed.port === "" ? 5432 : Number(parsed.port),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, "")) || "postgres",
    username: decodeURIComponent(parsed.username) || "postgres",
    ...(password !== "" && { password: Redacted.make(password) })
  }
}

/** Which database backend the process runs on, for the start-up log and `/health`. */
export class DatabaseBackend extends Context.Service<DatabaseBackend, {
  readonly kind: "postgres" | "pglite"
  readonly description: string
  /** Where and how to connect, without pool settings: for a second, special-purpose pool. */
  readonly connection: PgClientModule.PgClientConfig
  /** One trivial round trip through the pool. */
  readonly ping: Effect.Effect<void, SqlError>
}>()("maplehustle/infra/Sql/DatabaseBackend") {}

export interface SlowQuery {
  /** The statement as sent: parameterised, so no values. */
  readonly sql: string
  readonly durationMs: number
  readonly rows: number
  readonly at: Date
  readonly traceId: string | null
}

/** Statements slower than `SLOW_QUERY_MS` (default 200): the latest 50, and how many since start. */
export class SlowQueries extends Context.Service<SlowQueries, {
  readonly recent: Effect.Effect<ReadonlyArray<SlowQuery>>
  readonly total: Effect.Effect<number>
}>()("maplehustle/infra/Sql/SlowQueries") {}

const SLOW_QUERIES_KEPT = 50

/** The statement's first keyword (`SELECT`, `INSERT`, `WITH`, `BEGIN`…): a bounded metric attribute. */
const operationOf = (sql: string) => {
  const match = /^\s*([A-Za-z]+)/.exec(sql)
  return match === null ? "OTHER" : match[1]!.toUpperCase()
}
/** The first table the statement names (after FROM, INTO or UPDATE), if any. */
const collectionOf = (sql: string) => /\b(?:FROM|INTO|UPDATE)\s+([A-Za-z_][A-Za-z0-9_.]*)(?!\s*\()/i.exec(sql)?.[1]

const durationOf = Metrics.attributed(Metrics.dbOperationDuration)

/**
 * Watches every statement, in one synchronous pass on the statement's own
 * span (the SQL client makes it the current span: `SpanPropagationEnabled`):
 * the OpenTelemetry database attributes (operation, collection, summary, rows
 * returned, the SQLSTATE of a failure) and the duration metric by operation.
 * A statement over `thresholdMs` is also marked on its span, counted, kept
 * (the latest `SLOW_QUERIES_KEPT`) and logged once with its SQL, duration,
 * rows and trace id.
 */
const statementWatch = (thresholdMs: number) => {
  const recent: Array<SlowQuery> = []
  let total = 0
  const observe: PgPoolClient.StatementObserver = (sql, durationMs, rows, failure) =>
    Effect.withFiber((fiber) => {
      const operation = operationOf(sql)
      durationOf(operation, () => ({ "db.operation.name": operation })).updateUnsafe(durationMs / 1000, fiber.context)
      const parent = Context.getOrUndefined(fiber.context, Tracer.ParentSpan)
      const span = parent?._tag === "Span" && parent.sampled ? parent : undefined
      if (span !== undefined) {
        const collection = collectionOf(sql)
        span.attribute("db.operation.name", operation)
        if (collection !== undefined) span.attribute("db.collection.name", collection)
        span.attribute("db.query.summary", collection === undefined ? operation : `${operation} ${collection}`)
        span.attribute("db.response.returned_rows", rows)
        if (failure !== undefined) {
          const code = isSqlError(failure) ? violation(failure).code : undefined
          span.attribute("error.type", code ?? "unknown")
          if (code !== undefined) span.attribute("db.response.status_code", code)
        }
      }
      if (durationMs < thresholdMs) return Effect.void
      const entry: SlowQuery = { sql, durationMs: Math.round(durationMs * 10) / 10, rows, at: new Date(), traceId: parent?.traceId ?? null }
      total++
      Metrics.dbSlowQueries.updateUnsafe(1, fiber.context)
      recent.push(entry)
      if (recent.length > SLOW_QUERIES_KEPT) recent.shift()
      span?.attribute("db.slow_query_ms", entry.durationMs)
      return Effect.logWarning("slow query", { sql, duration_ms: entry.durationMs, rows, trace_id: entry.traceId })
    })
  return {
    observe,
    service: SlowQueries.of({ recent: Effect.sync(() => [...recent].reverse()), total: Effect.sync(() => total) })
  }
}

/** Live counters of the connection pool (`GET /ops/stats`, `/metrics`). */
export class PoolStats extends Context.Service<PoolStats, {
  readonly snapshot: Effect.Effect<PgPoolClient.PoolCounters>
}>()("maplehustle/infra/Sql/PoolStats") {}

/**
 * Starts PGlite with the extensions our schema needs, persisted under
 * `$DATA_DIR/pglite`, and serves it on an ephemeral loopback port.
 * PGlite runs one transaction at a time and does not deliver NOTIFY over the
 * socket: nothing may rely on either for correctness.
 */
const embeddedPostgres = Effect.gen(function*() {
  const dataDir = yield* Settings.dataDir
  const directory = Path.resolve(dataDir, "pglite")
  const [{ PGlite }, { PGLiteSocketServer }, { btree_gist }, { citext }, { pgcrypto }] = yield* Effect.promise(() =>
    Promise.all([
      import("@electric-sql/pglite"),
      import("@electric-sql/pglite-socket"),
      import("@electric-sql/pglite/contrib/btree_gist"),
      import("@electric-sql/pglite/contrib/citext"),
      import("@electric-sql/pglite/contrib/pgcrypto")
    ])
  )
  yield* Effect.promise(() => Fs.mkdir(directory, { recursive: true }))
  const db = yield* Effect.acquireRelease(
    Effect.promise(() => PGlite.create(directory, { extensions: { btree_gist, citext, pgcrypto } })),
    (db) => Effect.promise(() => db.close())
  )
  const server = yield* Effect.acquireRelease(
    Effect.promise(async () => {
      const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 200 })
      await server.start()
      return server
    }),
    (server) => Effect.promise(() => server.stop())
  )
  const port = Number(server.getServerConn().split(":").pop())
  return {
    config: { host: "127.0.0.1", port, username: "postgres", database: "postgres", ssl: false },
    description: `embedded PGlite (${directory})`
  }
})

const poolSettings = Config.all({
  maxConnections: Settings.int("DB_POOL_MAX", { default: 20, min: 1, max: 1000 }),
  minConnections: Settings.int("DB_POOL_MIN", { default: 2, min: 0, max: 1000 }),
  connectTimeout: Settings.millis("DB_CONNECT_TIMEOUT_MS", 5000),
  acquireTimeout: Settings.millis("DB_ACQUIRE_TIMEOUT_MS", 5000),
  maxWaiting: Settings.int("DB_POOL_MAX_WAITING", { default: 500, min: 0 }),
  idleTimeout: Settings.millis("DB_IDLE_TIMEOUT_MS", 30000),
  connectionTTL: Settings.seconds("DB_MAX_LIFETIME_S", 3600),
  statementTimeout: Settings.millis("DB_STATEMENT_TIMEOUT_MS", 30000),
  /** Named prepared statements, cached per connection; off behind a pooler that cannot keep them (PgBouncer < 1.21 in transaction mode). */
  preparedStatements: Settings.flag("DB_PREPARED_STATEMENTS", true),
  slowQuery: Settings.millis("SLOW_QUERY_MS", 200)
})

/**
 * A name transform that remembers its answers. Names come from our own SQL
 * (columns, never JSON keys: `transformJson` is off), so the set is small; the
 * bound only guards against a surprise. Converting every column of every row
 * again cost 3 µs a row of 19 columns (a service), 60 µs for a page of 21.
 */
const memoized = (transform: (name: string) => string) => {
  const known = new Map<string, string>()
  return (name: string) => {
    let converted = known.get(name)
    if (converted === undefined) {
      converted = transform(name)
      if (known.size < 10_000) known.set(name, converted)
    }
    return converted
  }
}

/**
 * `PgClient` + `SqlClient` + `PoolStats` + `DatabaseBackend`, scoped: the pool
 * closes when the layer's scope does, after the statements in flight finish.
 */
export const PgLive = Layer.effectContext(Effect.gen(function*() {
  const url = yield* Config.option(Config.Redacted("DATABASE_URL"))
  const pool = yield* poolSettings
  const target = yield* Option.match(url, {
    onNone: () => embeddedPostgres,
    onSome: (url) => {
      const config = pgConfig(url)
      return Effect.succeed({ config, description: `PostgreSQL ${config.host}:${config.port}/${config.database}` })
    }
  })
  const connection: PgClientModule.PgClientConfig = {
    ...target.config,
    applicationName: "maplehustle",
    transformQueryNames: memoized(Str.camelToSnake),
    transformResultNames: memoized(Str.snakeToCamel),
    // Column names only: JSON documents (job payloads, addresses) keep their keys as written.
    transformJson: false,
    keepAlive: Duration.seconds(30),
    connectTimeout: pool.connectTimeout,
    startupParameters: { statement_timeout: String(Duration.toMillis(pool.statementTimeout)) },
    prepare: pool.preparedStatements
  }
  const slow = statementWatch(Duration.toMillis(pool.slowQuery))
  const { client, counters } = yield* PgPoolClient.make({
    onStatement: slow.observe,
    ...connection,
    maxConnections: pool.maxConnections,
    minConnections: Math.min(pool.minConnections, pool.maxConnections),
    idleTimeout: pool.idleTimeout,
    connectionTTL: pool.connectionTTL,
    acquireTimeout: pool.acquireTimeout,
    maxWaiting: pool.maxWaiting
  })
  return Context.make(PgClient, client).pipe(
    Context.add(SqlClient, client),
    Context.add(PoolStats, { snapshot: Effect.sync(counters) }),
    Context.add(SlowQueries, slow.service),
    // Statements run under their own span, so the watch above annotates it and it carries the pool wait.
    Context.add(Statement.SpanPropagationEnabled, true),
    Context.add(DatabaseBackend, {
      kind: Option.isSome(url) ? "postgres" : "pglite",
      description: target.description,
      connection,
      ping: Effect.asVoid(client`SELECT 1`)
    })
  )
}))

/**
 * Applies pending migrations. Several processes may start at once: the
 * migrator locks its table and reports `Locked` to the losers, who wait and
 * find nothing left to do.
 */
export const migrate = (options?: { readonly schemaDirectory?: string }) =>
  PgMigrator.run({
    loader: PgMigrator.fromRecord(migrations),
    ...(options?.schemaDirectory !== undefined && { schemaDirectory: options.schemaDirectory })
  }).pipe(
    Effect.retry({
      while: (error) => error._tag === "MigrationError" && error.kind === "Locked",
      schedule: Schedule.spaced("200 millis"),
      times: 100
    }),
    Effect.provide(NodeServices.layer)
  )

/** Runs the migrations once the pool is up; everything built on `SqlLive` sees the whole schema. */
export const MigrationsLive = Layer.effectDiscard(
  migrate().pipe(
    Effect.tap((applied) =>
      applied.length > 0
        ? Effect.logInfo(`applied ${applied.length} migration(s)`, applied.map(([id, name]) => `${id}_${name}`))
        : Effect.logDebug("schema up to date")
    )
  )
)

export const SqlLive = MigrationsLive.pipe(Layer.provideMerge(PgLive))

/**
 * Transactions for domain services: infrastructure faults become defects, and
 * work that must wait for the commit (cache invalidation, wake-ups) is
 * registered with `afterCommit`.
 */
/** Infrastructure faults are defects for the domain: the HTTP edge answers them with 500 or 503. */
const dieOnSqlError = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, Exclude<E, SqlError>, R> =>
  Effect.catch(self, (error) => isSqlError(error) ? Effect.die(error) : Effect.fail(error as Exclude<E, SqlError>))

export class Transactions extends Context.Service<Transactions, {
  readonly withTransaction: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, Exclude<E, SqlError>, R>
  readonly afterCommit: <R>(effect: Effect.Effect<void, never, R>) => Effect.Effect<void, never, R>
}>()("maplehustle/infra/Sql/Transactions") {
  static readonly make = Effect.gen(function*() {
    const sql = yield* SqlClient
    return Transactions.of({
      withTransaction: (self) => dieOnSqlError(sql.withTransaction(self)),
      afterCommit: sql.afterCommit
    })
  })
  static readonly layer = Layer.effect(this, this.make)
}

/**
 * The SQLSTATE and constraint name PostgreSQL reported, so repositories can turn
 * a named constraint (`bookings_no_overlap`, `users_email_key`) into a domain error.
 */
export const violation = (error: SqlError): { readonly code: string | undefined; readonly constraint: string | undefined } => {
  const cause: unknown = error.reason.cause
  const field = (name: "code" | "constraint") =>
    typeof cause === "object" && cause !== null && name in cause && typeof (cause as Record<string, unknown>)[name] === "string"
      ? (cause as Record<string, string>)[name]
      : undefined
  return { code: field("code"), constraint: field("constraint") }
}

/** SQLSTATEs of a server that ended the session: terminated by an administrator, crash, or not accepting yet. */
const sessionEnded = new Set(["57P01", "57P02", "57P03"])

/**
 * The statement failed because its established connection was lost (the
 * socket closed, or Postgres ended the session), not because of the
 * statement or of the pool: a retry on another connection may well succeed.
 * Failures to connect, acquire timeouts and load shedding are excluded —
 * retrying those would only add waiting and load.
 */
export const isConnectionLost = (u: unknown): boolean =>
  isSqlError(u) &&
  ((u.reason._tag === "ConnectionError" && u.reason.operation === "query") || sessionEnded.has(violation(u).code ?? ""))

/** Keyset condition for a list ordered `created_at DESC, id DESC`: rows after the cursor's `[created_at, id]`. */
export const olderThan = (sql: SqlClient, table: string, after: Option.Option<readonly [string, string]>) =>
  Option.match(after, {
    onNone: () => sql`true`,
    onSome: ([at, id]) => sql`(${sql(table)}.created_at, ${sql(table)}.id) < (${at}::timestamptz, ${id}::uuid)`
  })

/** A sort of a keyset-paged list: the key expression, its SQL type (for the cursor), the direction. */
export interface KeysetSort {
  readonly key: Statement.Fragment
  readonly cast: Statement.Fragment
  readonly desc: boolean
}

/**
 * Keyset paging on any sort: rows after the cursor's `[key, id]` in the sort's
 * direction, and the matching ORDER BY (the id breaks ties).
 */
export const keyset = (sql: SqlClient, sort: KeysetSort, id: Statement.Fragment, after: Option.Option<readonly [string, string]>) => {
  const direction = sort.desc ? sql`DESC` : sql`ASC`
  return {
    after: Option.match(after, {
      onNone: () => sql`true`,
      onSome: ([key, cursorId]) =>
        sort.desc
          ? sql`(${sort.key}, ${id}) < (${key}::${sort.cast}, ${cursorId}::uuid)`
          : sql`(${sort.key}, ${id}) > (${key}::${sort.cast}, ${cursorId}::uuid)`
    }),
    orderBy: sql`${sort.key} ${direction}, ${id} ${direction}`
  }
}
