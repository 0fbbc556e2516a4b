import { Effect } from "effect"
import { SqlClient } from "effect/sql/SqlClient"

/**
 * Runs DDL statements one after another. The pg driver speaks only the
 * extended protocol, which takes one statement per query.
 */
export const ddl = (...statements: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    for (const statement of statements) {
      yield* sql.unsafe(statement)
    }
  })

/** Keeps `updated_at` current on every UPDATE of `table`. */
export const updatedAtTrigger = (table: string) =>
  `CREATE TRIGGER ${table}_updated_at BEFORE UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION set_updated_at()`
