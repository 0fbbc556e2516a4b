/**
 * A fresh database for one `it.layer` block, cloned from the migrated template
 * of `globalSetup.ts`, served through the same instrumented client as
 * production (`PgLive`), and dropped when the block ends.
 */
import { PgClient } from "@effect/sql-pg"
import { Config, ConfigProvider, Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { PgLive, pgConfig } from "../../src/infra/Sql.ts"

export const adminUrl = Config.Redacted("TEST_DATABASE_ADMIN_URL")
const template = Config.String("TEST_DATABASE_TEMPLATE")
/** The run's process id, which `globalSetup` puts in the template's name (`mh_template_<pid>`). */
const runPid = Config.map(template, (name) => name.slice("mh_template_".length))

/** Runs `f` on a one-connection client to the admin database. */
export const onAdmin = <A, E>(f: (sql: SqlClient) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const url = yield* adminUrl
    return yield* SqlClient.use(f).pipe(
      Effect.provide(Layer.fresh(PgClient.layer({ ...pgConfig(url), maxConnections: 1 }))),
      Effect.scoped
    )
  })

/** Creates an empty (`template: false`) or migrated database and drops it with the scope. */
export const scopedDatabase = (options: { readonly migrated: boolean }) =>
  Effect.gen(function*() {
    // The run's process id first: `globalSetup` leaves the databases of runs still going alone.
    const name = `mh_test_${yield* runPid}_${crypto.randomUUID().replaceAll("-", "")}`
    const from = options.migrated ? yield* template : "template0"
    yield* Effect.acquireRelease(
      onAdmin((sql) => sql`CREATE DATABASE ${sql(name)} TEMPLATE ${sql(from)}`),
      () => Effect.ignore(onAdmin((sql) => sql`DROP DATABASE IF EXISTS ${sql(name)} WITH (FORCE)`))
    )
    const url = new URL(Redacted.value(yield* adminUrl))
    url.pathname = `/${name}`
    return { name, url: Redacted.make(url.toString()) }
  })

/**
 * `PgClient`, `SqlClient`, `PoolStats` and `DatabaseBackend` on a private clone
 * of the migrated template. `settings` overrides pool variables (`DB_POOL_MAX`, …);
 * with `DATABASE_URL` among them it connects to that database instead, and no
 * clone is made.
 */
export const TestDatabase = (settings: Record<string, string> = {}) =>
  Layer.unwrap(Effect.gen(function*() {
    const url = settings.DATABASE_URL ?? Redacted.value((yield* scopedDatabase({ migrated: true })).url)
    return Layer.fresh(PgLive).pipe(
      Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ DB_POOL_MIN: "0", ...settings, DATABASE_URL: url })))
    )
  })).pipe(Layer.orDie)

/** The URL of the database the current `SqlClient` is connected to. */
export const currentDatabaseUrl = Effect.gen(function*() {
  const sql = yield* SqlClient
  const [row] = yield* Effect.orDie(sql<{ currentDatabase: string }>`SELECT current_database()`)
  const url = new URL(Redacted.value(yield* adminUrl))
  url.pathname = `/${row!.currentDatabase}`
  return url.toString()
})

/**
 * Runs `text` with `params` on the database at `url` (a pool of its own each
 * time), for tests that check a service process's database from outside it.
 */
export const queryOn = (url: string) => (text: string, params: ReadonlyArray<unknown> = []) =>
  Effect.runPromise(
    SqlClient.use((sql) => sql.unsafe<Record<string, unknown>>(text, params)).pipe(
      Effect.provide(Layer.fresh(TestDatabase({ DATABASE_URL: url }))),
      Effect.orDie
    )
  )
