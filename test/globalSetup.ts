// @effect-diagnostics processEnv:off
/**
 * Once per `vitest run`: create a template database on the test server and
 * migrate it; every test file clones it (`TestDatabase`) in a few ms instead of
 * migrating again. Tests reach the servers through these variables:
 * - `TEST_DATABASE_ADMIN_URL` (default `postgres://root@127.0.0.1:5432/postgres`)
 * - `TEST_REDIS_URL` (default `redis://127.0.0.1:6379/15`)
 */
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { migrate, pgConfig } from "../src/infra/Sql.ts"

const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? "postgres://root@127.0.0.1:5432/postgres"
const template = `mh_template_${process.pid}`

const onAdmin = <A, E>(f: (sql: SqlClient) => Effect.Effect<A, E>) =>
  SqlClient.use(f).pipe(
    Effect.provide(PgClient.layer({ ...pgConfig(Redacted.make(adminUrl)), maxConnections: 1 })),
    Effect.scoped
  )

/** The process id of the run that created a test database (`mh_test_<pid>_…`, `mh_template_<pid>`); none for older names. */
const runOf = (datname: string) => /^mh_(?:test_(\d+)_|template_(\d+)$)/.exec(datname)?.slice(1).find((pid) => pid !== undefined)

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

/**
 * Databases of earlier runs that were killed before their teardown. A run still
 * going on this machine (another `vitest run` on the same server) keeps its own.
 */
const dropLeftovers = onAdmin((sql) =>
  Effect.gen(function*() {
    const rows = yield* sql<{ datname: string }>`
      SELECT datname FROM pg_database
      WHERE (datname LIKE 'mh\\_test\\_%' OR datname LIKE 'mh\\_template\\_%') AND datname <> ${template}`
    for (const { datname } of rows) {
      const run = runOf(datname)
      if (run !== undefined && isAlive(Number(run))) continue
      yield* sql`DROP DATABASE IF EXISTS ${sql(datname)} WITH (FORCE)`.pipe(Effect.ignore)
    }
  })
)

export async function setup() {
  process.env.TEST_DATABASE_ADMIN_URL = adminUrl
  process.env.TEST_DATABASE_TEMPLATE = template
  process.env.TEST_REDIS_URL ??= "redis://127.0.0.1:6379/15"
  await Effect.runPromise(Effect.gen(function*() {
    yield* dropLeftovers
    yield* onAdmin((sql) => sql`CREATE DATABASE ${sql(template)}`)
    yield* migrate().pipe(
      Effect.provide(Layer.fresh(PgClient.layer({ ...pgConfig(Redacted.make(adminUrl)), database: template, maxConnections: 1 }))),
      Effect.scoped
    )
  }))
}

export async function teardown() {
  await Effect.runPromise(onAdmin((sql) => sql`DROP DATABASE IF EXISTS ${sql(template)} WITH (FORCE)`))
}
