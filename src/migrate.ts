/**
 * `npm run migrate`: applies pending migrations to `DATABASE_URL` (or the
 * embedded database) and refreshes `migrations/_schema.sql` when `pg_dump` of
 * the server's major version is installed.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect } from "effect"
import { migrate, PgLive } from "./infra/Sql.ts"

const program = migrate({ schemaDirectory: "migrations" }).pipe(
  Effect.tap((applied) => Effect.logInfo(`applied ${applied.length} migration(s)`)),
  Effect.provide(PgLive)
)

NodeRuntime.runMain(program)
