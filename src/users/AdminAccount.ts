/**
 * How the first admin comes to exist (API.md, "Running the service"): with
 * `ADMIN_EMAIL` and `ADMIN_PASSWORD` set, start-up creates that admin unless
 * some user already has the email. The password is read as a secret and never
 * logged; an existing account is left as it is. Processes starting at once
 * race benignly: one inserts, the others' conflicting inserts do nothing.
 */
import { Config, Effect, Layer, Option, Redacted } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { Passwords } from "./Passwords.ts"

export const AdminAccountLive = Layer.effectDiscard(Effect.gen(function*() {
  const email = yield* Config.option(Config.String("ADMIN_EMAIL"))
  const password = yield* Config.option(Config.Redacted("ADMIN_PASSWORD"))
  if (Option.isNone(email) || Option.isNone(password)) return
  const sql = yield* SqlClient
  const passwords = yield* Passwords
  const passwordHash = yield* passwords.hash(Redacted.value(password.value))
  const created = yield* sql`
    INSERT INTO users (email, password_hash, name, role, email_verified_at)
    SELECT ${email.value.trim()}, ${passwordHash}, 'Administrator', 'admin', now()
    WHERE NOT EXISTS (SELECT 1 FROM users WHERE email = ${email.value.trim()})
    ON CONFLICT DO NOTHING
    RETURNING id`.pipe(Effect.orDie)
  if (created.length > 0) yield* Effect.logInfo(`created the admin account ${email.value.trim()}`)
})).pipe(Layer.provide(Passwords.layer))
