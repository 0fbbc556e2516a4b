/**
 * The emails of the auth flows, end to end: the request enqueues them, a real
 * worker delivers them over SMTP to a server started here, and the token in
 * the message works.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Schedule } from "effect"
import { HttpClientRequest } from "effect/http"
import { send } from "../utils/Http.ts"
import { EmailWorker } from "../utils/Jobs.ts"
import { smtpServer } from "../utils/LocalServers.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TestApp, TestRedis } from "../utils/TestInfra.ts"

const post = (path: string, body: unknown) => HttpClientRequest.post(path).pipe(HttpClientRequest.bodyJsonUnsafe(body))
const address = `mail-${Date.now().toString(36)}@example.ca`

describe("auth emails", () => {
  it.layer(TestApp.pipe(Layer.provideMerge(Layer.mergeAll(TestDatabase(), TestRedis()))), { timeout: "60 seconds", excludeTestServices: true })(
    "delivered",
    (it) => {
      it.effect("registration and forgot-password emails arrive over SMTP with tokens that work", () =>
        Effect.gen(function*() {
          const smtp = yield* smtpServer
          const mailsTo = () => smtp.received.filter((m) => m.to.includes(address)).map((m) => m.raw.replaceAll("=\r\n", ""))
          yield* Effect.gen(function*() {
            assert.strictEqual((yield* send(post("/auth/register", { email: address, password: "Maple-Syrup-2026", name: "Léa Roy", role: "client" }))).status, 201)
            assert.strictEqual((yield* send(post("/auth/forgot-password", { email: address }))).status, 202)
            yield* Effect.sync(mailsTo).pipe(
              Effect.repeat({ until: (mails) => mails.length >= 3, schedule: Schedule.spaced("50 millis") }),
              Effect.timeout("15 seconds")
            )
          }).pipe(Effect.provide(EmailWorker(smtp.port)))
          const mails = mailsTo()
          const subjects = mails.map((m) => /^Subject: (.*)$/m.exec(m)?.[1]).sort()
          assert.deepStrictEqual(subjects, ["Confirm your email address", "Reset your password", "Welcome to MapleHustle"])
          const tokenIn = (subject: string) => /code: ([A-Za-z0-9_-]{43})/.exec(mails.find((m) => m.includes(`Subject: ${subject}`))!)?.[1]
          const verification = tokenIn("Confirm your email address")!
          const reset = tokenIn("Reset your password")!
          assert.strictEqual((yield* send(post("/auth/verify-email", { token: verification }))).status, 204)
          assert.strictEqual((yield* send(post("/auth/reset-password", { token: reset, new_password: "Tourtiere-2027!" }))).status, 204)
          assert.strictEqual((yield* send(post("/auth/login", { email: address, password: "Tourtiere-2027!" }))).status, 200)
        }).pipe(Effect.scoped))
    }
  )
})
