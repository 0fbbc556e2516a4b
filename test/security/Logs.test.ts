/**
 * Secrets never reach the logs: registration, a login, failed logins, a
 * refresh and a refresh-token reuse — and a 500 in the middle of a
 * registration and of a login, whose cause the edge logs in full — write no
 * line containing the password, an access token, a refresh token or a
 * password hash. The lines are the service's own logger (`LoggingLive`, at
 * its normal level) writing to a console of the test's, and the test first
 * proves that they arrive: the reuse warning and each 500's "request failed"
 * line are there, so the negative assertions are not vacuous.
 */
import { assert, describe, it } from "@effect/vitest"
import { Console, Context, Effect, Layer } from "effect"
import { HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql/SqlClient"
import { LoggingLive } from "../../src/infra/Telemetry.ts"
import { send } from "../utils/Http.ts"
import { uniqueEmail } from "../utils/fixtures.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TestApp, TestRedis } from "../utils/TestInfra.ts"

/** Every line the service's logger wrote, in order. */
class LogLines extends Context.Service<LogLines, Array<string>>()("maplehustle/test/security/Logs.test/LogLines") {}

const capture = Layer.unwrap(Effect.sync(() => {
  const lines: Array<string> = []
  const record = (...args: ReadonlyArray<unknown>) => {
    lines.push(args.map(String).join(" "))
  }
  const console: Console.Console = { ...globalThis.console, log: record, info: record, warn: record, error: record, debug: record }
  return Layer.mergeAll(Layer.succeed(LogLines, lines), Layer.succeed(Console.Console, console), LoggingLive)
}))

const post = (path: string, body: unknown) => HttpClientRequest.post(path).pipe(HttpClientRequest.bodyJsonUnsafe(body))

const PASSWORD = "Secret-Maple-Syrup-2026!"
const WRONG_PASSWORD = "Wrong-Guess-Password-7?"
const FAILING_NAME = "Boom Registration"
const FAILING_AGENT = "boom-agent/1.0"

const register = (address: string, name = "Jean Dupuis") =>
  send(post("/auth/register", { email: address, password: PASSWORD, name, role: "client" }))
const login = (address: string, password = PASSWORD) => send(post("/auth/login", { email: address, password }))

/** Inserts that fail (a 500) for one name of a new user, and for one user agent of a new session. */
const failingInserts = SqlClient.use((sql) =>
  Effect.gen(function*() {
    yield* sql.unsafe(`CREATE FUNCTION test_boom() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'boom: insert refused by the test'; END $$`)
    yield* sql.unsafe(`CREATE TRIGGER test_boom_users BEFORE INSERT ON users FOR EACH ROW
      WHEN (NEW.name = '${FAILING_NAME}') EXECUTE FUNCTION test_boom()`)
    yield* sql.unsafe(`CREATE TRIGGER test_boom_sessions BEFORE INSERT ON refresh_tokens FOR EACH ROW
      WHEN (NEW.user_agent = '${FAILING_AGENT}') EXECUTE FUNCTION test_boom()`)
  })).pipe(Effect.orDie)

describe("security: logs", () => {
  it.layer(
    TestApp.pipe(Layer.provideMerge(Layer.mergeAll(TestDatabase(), TestRedis())), Layer.provideMerge(capture)),
    { timeout: "60 seconds", excludeTestServices: true }
  )((it) => {
    it.effect("register, login, failed logins, refresh and 500s log no password, token or password hash", () =>
      Effect.gen(function*() {
        const lines = yield* LogLines
        const sql = yield* SqlClient
        yield* failingInserts
        const before = lines.length
        const address = uniqueEmail("logs")

        const registered = yield* register(address)
        assert.strictEqual(registered.status, 201)
        const first = yield* login(address)
        assert.strictEqual(first.status, 200)
        const wrong = yield* login(address, WRONG_PASSWORD)
        assert.strictEqual(wrong.status, 401)
        const unknown = yield* login(uniqueEmail("nobody"), WRONG_PASSWORD)
        assert.strictEqual(unknown.status, 401)
        const second = yield* send(post("/auth/refresh", { refresh_token: first.body.refresh_token }))
        assert.strictEqual(second.status, 200)
        // Presenting the rotated token again: the service warns, and revokes the family.
        const reused = yield* send(post("/auth/refresh", { refresh_token: first.body.refresh_token }))
        assert.strictEqual(reused.status, 401)
        // A 500 while the password (and its new hash) are in flight, and one after a login verified the stored hash.
        const failedRegistration = yield* register(uniqueEmail("boom"), FAILING_NAME)
        assert.strictEqual(failedRegistration.status, 500)
        const failedLogin = yield* send(
          post("/auth/login", { email: address, password: PASSWORD }).pipe(HttpClientRequest.setHeader("user-agent", FAILING_AGENT))
        )
        assert.strictEqual(failedLogin.status, 500)

        const logged = lines.slice(before)
        // The capture receives the service's lines: the reuse warning and both 500s, each with its request id.
        assert.isTrue(logged.some((line) => line.includes("refresh token reused")), `no reuse warning in:\n${logged.join("\n")}`)
        for (const res of [failedRegistration, failedLogin]) {
          const requestId = res.body.request_id as string
          assert.isTrue(
            logged.some((line) => line.includes("request failed") && line.includes(requestId) && line.includes("boom: insert refused")),
            `no "request failed" line for ${requestId} in:\n${logged.join("\n")}`
          )
        }

        const [stored] = yield* sql<{ passwordHash: string }>`SELECT password_hash FROM users WHERE email = ${address}`
        assert.match(stored!.passwordHash, /^\$argon2id\$/)
        const secrets = {
          password: PASSWORD,
          "wrong password": WRONG_PASSWORD,
          "password hash": stored!.passwordHash,
          "access token": first.body.access_token as string,
          "refresh token": first.body.refresh_token as string,
          "rotated access token": second.body.access_token as string,
          "rotated refresh token": second.body.refresh_token as string
        }
        for (const line of logged) {
          for (const [what, secret] of Object.entries(secrets)) {
            assert.notInclude(line, secret, `a log line contains the ${what}: ${line}`)
          }
          // The JWT's signature alone, and any argon2 hash at all (the failed registration's was never stored).
          assert.notInclude(line, (first.body.access_token as string).split(".")[2]!, `a log line contains a token signature: ${line}`)
          assert.notMatch(line, /\$argon2id\$/, `a log line contains a password hash: ${line}`)
        }
      }))
  })
})
