/**
 * A `PgClient` whose connection pool can be observed and bounded.
 *
 * `@effect/sql-pg` keeps its pool private: it exposes no counters, waits for a
 * connection without limit and queues every waiter. This module builds the same
 * client on the exported `PgPool` and wraps the three ways a statement takes a
 * connection (`get`, `reserve`, `use`) so that we know, at every instant, how
 * many connections are open, in use and awaited, how long each checkout waited,
 * and so that a checkout gives up after `acquireTimeout` and sheds load once
 * `maxWaiting` fibers already queue (both fail with a `ConnectionError`, which
 * the HTTP layer answers with 503).
 *
 * The client facade (`makeClient`, `ConnectionImpl`, `commit`) follows
 * `@effect/sql-pg/PgClient`'s own `makeImpl`, which is not exported; its
 * connection also counts every statement against the current HTTP request
 * (`RequestScope.recordStatement`) and reports each statement's duration,
 * rows and failure to `onStatement` (slow queries, spans, metrics).
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import * as PgPool from "@effect/sql-pg/PgPool"
import type * as PgConnection from "@effect/sql-pg/PgConnection"
import { Cause, Duration, Effect, Exit, type Scope, Stream } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import * as SqlClient from "effect/sql/SqlClient"
import * as Statement from "effect/sql/Statement"
import type * as Connection from "effect/sql/SqlConnection"
import { ConnectionError, SqlError, UnknownError } from "effect/sql/SqlError"
import * as Net from "node:net"
import { recordStatement } from "./RequestScope.ts"

export interface PoolCounters {
  readonly max: number
  /** Open physical connections. */
  readonly total: number
  readonly inUse: number
  readonly idle: number
  /** Fibers waiting for a connection right now. */
  readonly waiting: number
  readonly acquired: number
  readonly timedOut: number
  readonly shed: number
  /** Total and worst wait for a checkout since start, in milliseconds. */
  readonly waitMsTotal: number
  readonly waitMsMax: number
}

export interface InstrumentedPoolConfig extends PgClient.PgPoolConfig {
  readonly acquireTimeout: Duration.Input
  readonly maxWaiting: number
  /** Called after every statement with its SQL text (parameterised: never values), duration, rows and failure. */
  readonly onStatement?: StatementObserver | undefined
}

export type StatementObserver = (sql: string, durationMs: number, rows: number, failure: unknown) => Effect.Effect<void>

export interface InstrumentedPgClient {
  readonly client: PgClient.PgClient
  readonly counters: () => PoolCounters
}

const poolError = (message: string) =>
  new SqlError({ reason: new ConnectionError({ cause: new Error(message), message, operation: "acquire" }) })

export const make = Effect.fnUntraced(function*(options: InstrumentedPoolConfig) {
  let total = 0
  let inUse = 0
  let waiting = 0
  let acquired = 0
  let timedOut = 0
  let shed = 0
  let waitMsTotal = 0
  let waitMsMax = 0
  const max = options.maxConnections ?? 10
  const acquireTimeout = Duration.fromInputUnsafe(options.acquireTimeout)

  // Every physical connection is a socket we open, so counting sockets counts connections.
  const stream = options.stream ?? (() => {
    const socket = options.path !== undefined
      ? Net.connect({ path: options.path })
      : Net.connect({
        host: options.host ?? "localhost",
        port: options.port ?? 5432,
        noDelay: true,
        ...(options.keepAlive !== undefined && {
          keepAlive: true,
          keepAliveInitialDelay: Duration.toMillis(Duration.fromInputUnsafe(options.keepAlive))
        })
      })
    total++
    socket.once("close", () => total--)
    return socket
  })
  const pool = yield* PgPool.make({ ...options, stream })

  const timedOutError = poolError(`no database connection became free within ${Duration.format(acquireTimeout)}`)
  const shedError = poolError(`too many requests are waiting for a database connection (${options.maxWaiting})`)

  const release = Effect.sync(() => {
    inUse--
  })
  const inUseUntilScopeCloses = Effect.suspend(() => {
    acquired++
    inUse++
    return Effect.addFinalizer(() => release)
  })

  /**
   * Wraps a scoped checkout with the counters, the wait limit and the acquire
   * timeout. While a connection is idle the checkout cannot wait, so it takes
   * it without arming a timer (a race of two fibers and a timer less per
   * statement). Under load most checkouts wait and still race: at 50
   * connections on a pool of 20 the gain was within `npm run bench:http`'s noise.
   */
  const checkout = <A>(acquire: Effect.Effect<A, SqlError, Scope.Scope>): Effect.Effect<A, SqlError, Scope.Scope> => {
    const immediate = Effect.tap(acquire, inUseUntilScopeCloses)
    return Effect.suspend(() => {
      if (inUse < total) return immediate
      if (waiting >= options.maxWaiting) {
        shed++
        return Effect.fail(shedError)
      }
      const started = performance.now()
      waiting++
      return acquire.pipe(
        Effect.timeoutOrElse({
          duration: acquireTimeout,
          orElse: () => Effect.sync(() => timedOut++).pipe(Effect.andThen(Effect.fail(timedOutError)))
        }),
        Effect.onExit((exit) =>
          Effect.sync(() => {
            waiting--
            if (Exit.isSuccess(exit)) {
              const waited = performance.now() - started
              waitMsTotal += waited
              if (waited > waitMsMax) waitMsMax = waited
            }
          })
        ),
        Effect.tap(inUseUntilScopeCloses)
      )
    })
  }

  const get = checkout(pool.get)
  const reserve = checkout(pool.reserve)
  const observe = options.onStatement
  const borrower: Connection.Borrower = (f) => Effect.scoped(Effect.flatMap(get, (conn) => f(new ConnectionImpl(conn, observe))))

  const client = yield* makeClient({
    acquirer: Effect.map(get, (conn) => new ConnectionImpl(conn, observe)),
    borrower,
    transactionAcquirer: Effect.map(reserve, (conn) => new ConnectionImpl(conn, observe)),
    listenAcquirer: reserve,
    config: options
  })

  const counters = (): PoolCounters => ({
    max,
    total,
    inUse,
    idle: Math.max(0, total - inUse),
    waiting,
    acquired,
    timedOut,
    shed,
    waitMsTotal,
    waitMsMax
  })
  return { client, counters } satisfies InstrumentedPgClient
})

const ATTR_DB_SYSTEM_NAME = "db.system.name"
const ATTR_DB_NAMESPACE = "db.namespace"
const ATTR_SERVER_ADDRESS = "server.address"
const ATTR_SERVER_PORT = "server.port"

const PgJson = Statement.custom<PgClient.PgCustom>("PgJson")

const makeClient = Effect.fnUntraced(function*(options: {
  readonly acquirer: Connection.Acquirer
  readonly borrower: Connection.Borrower
  readonly transactionAcquirer: Connection.Acquirer
  readonly listenAcquirer: Effect.Effect<PgConnection.PgConnection, SqlError, Scope.Scope>
  readonly config: PgClient.PgClientConfig
}) {
  const config = options.config
  const client = yield* SqlClient.make({
    acquirer: options.acquirer,
    borrower: options.borrower,
    prepareTransactionControls: true,
    commit,
    releaseSavepoint: (name) => `RELEASE SAVEPOINT ${name}`,
    transactionAcquirer: options.transactionAcquirer,
    compiler: PgClient.makeCompiler(config.transformQueryNames, config.transformJson),
    driver: "pg",
    spanAttributes: [
      ...(config.spanAttributes ? Object.entries(config.spanAttributes) : []),
      [ATTR_DB_SYSTEM_NAME, "postgresql"],
      [ATTR_DB_NAMESPACE, config.database ?? config.username ?? "postgres"],
      [ATTR_SERVER_ADDRESS, config.host ?? "localhost"],
      [ATTR_SERVER_PORT, config.port ?? 5432]
    ],
    transformRows: config.transformResultNames
      ? Statement.defaultTransforms(config.transformResultNames, config.transformJson).array
      : undefined
  }).pipe(Effect.provide(Reactivity.layer))
  const pg: PgClient.PgClient = Object.assign(client, {
    [PgClient.TypeId]: PgClient.TypeId,
    config,
    json: (value: unknown) => Statement.fragment([PgJson(value, undefined, undefined)]),
    listen: (channel: string) => Effect.flatMap(options.listenAcquirer, (connection) => connection.listen(channel)),
    notify: (channel: string, payload: string) =>
      Effect.asVoid(Effect.scoped(Effect.flatMap(options.acquirer, (conn) =>
        conn.executeRaw("SELECT pg_notify($1, $2)", [channel, payload]))))
  })
  return pg
})

/** Times `statement` from when it runs; `rows` counts what it returned. */
const timed = <A, E>(observe: StatementObserver | undefined, sql: string, statement: Effect.Effect<A, E>, rows: (a: A) => number) =>
  observe === undefined ? statement : Effect.suspend(() => {
    const started = performance.now()
    // Failures too: a statement cancelled by `statement_timeout` is the slowest of all.
    return Effect.onExit(statement, (exit) =>
      Exit.isSuccess(exit)
        ? observe(sql, performance.now() - started, rows(exit.value), undefined)
        : observe(sql, performance.now() - started, 0, Cause.squash(exit.cause)))
  })

class ConnectionImpl implements Connection.Connection {
  readonly connection: PgConnection.PgConnection
  readonly observe: StatementObserver | undefined
  constructor(connection: PgConnection.PgConnection, observe: StatementObserver | undefined) {
    this.connection = connection
    this.observe = observe
  }
  run(query: string, params: ReadonlyArray<unknown>, prepare = true) {
    return recordStatement(timed(this.observe, query, Effect.map(this.connection.query(query, params, prepare), (result) => result.rows), (rows) => rows.length))
  }
  execute(sql: string, params: ReadonlyArray<unknown>, transformRows: (<A extends object>(row: ReadonlyArray<A>) => ReadonlyArray<A>) | undefined) {
    return transformRows ? Effect.map(this.run(sql, params), transformRows) : this.run(sql, params)
  }
  executeRaw(sql: string, params: ReadonlyArray<unknown>) {
    return recordStatement(this.connection.query(sql, params))
  }
  executeWithoutTransform(sql: string, params: ReadonlyArray<unknown>) {
    return this.run(sql, params)
  }
  executeValues(sql: string, params: ReadonlyArray<unknown>) {
    return recordStatement(this.connection.queryValues(sql, params))
  }
  executeValuesUnprepared(sql: string, params: ReadonlyArray<unknown>) {
    return recordStatement(this.connection.queryValues(sql, params, false))
  }
  executeUnprepared(sql: string, params: ReadonlyArray<unknown>, transformRows: (<A extends object>(row: ReadonlyArray<A>) => ReadonlyArray<A>) | undefined) {
    const operation = this.run(sql, params, false)
    return transformRows ? Effect.map(operation, transformRows) : operation
  }
  executeStream(sql: string, params: ReadonlyArray<unknown>, transformRows: (<A extends object>(row: ReadonlyArray<A>) => ReadonlyArray<A>) | undefined) {
    const stream = Stream.unwrap(recordStatement(Effect.succeed(this.connection.stream(sql, params))))
    return transformRows ? Stream.map(stream, (row) => transformRows([row])[0] ?? row) : stream
  }
}

/** PostgreSQL answers `ROLLBACK` to a `COMMIT` of an aborted transaction. */
const commit = (conn: Connection.Connection) =>
  Effect.flatMap(conn.executeRaw("COMMIT", []), (result) =>
    (result as { readonly command?: string }).command === "ROLLBACK"
      ? Effect.fail(
        new SqlError({
          reason: new UnknownError({
            cause: new Error("COMMIT rolled back an aborted transaction"),
            message: "PgClient: COMMIT rolled back an aborted transaction",
            operation: "commit"
          })
        })
      )
      : Effect.void)
