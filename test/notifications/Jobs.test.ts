/**
 * Delivery tasks, each run directly against real peers: an SMTP server, a
 * Twilio-style HTTP API, the outbox directory and the real Postgres.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import { DeliverNotification, type Job, SealedVariables, SendEmail, SendSms } from "../../src/domain/Job.ts"
import type { Task } from "../../src/infra/JobRunner.ts"
import { Mailer } from "../../src/infra/Mailer.ts"
import { PayloadSeal, SecretsLive } from "../../src/infra/Secrets.ts"
import { SmsSender } from "../../src/infra/SmsSender.ts"
import * as NotificationsJobs from "../../src/notifications/Jobs.ts"
import { NotificationsRepo } from "../../src/notifications/NotificationsRepo.ts"
import { insertUser } from "../utils/fixtures.ts"
import { smsApi, smtpServer } from "../utils/LocalServers.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TEST_JWT_SECRET, TestSecrets } from "../utils/TestInfra.ts"

const tempDir = Effect.acquireRelease(
  Effect.promise(() => Fs.mkdtemp(Path.join(Os.tmpdir(), "mh-notify-"))),
  (dir) => Effect.promise(() => Fs.rm(dir, { recursive: true, force: true }))
)

/** The delivery tasks with Mailer and SmsSender configured by `settings`. */
const tasksWith = (settings: Record<string, string>) =>
  NotificationsJobs.tasks.pipe(
    Effect.provide(
      Layer.mergeAll(Mailer.layer, SmsSender.layer, TestSecrets).pipe(
        Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(settings)))
      )
    )
  )

const run = (tasks: ReadonlyArray<Task>, job: Job, attempt = 1) =>
  tasks.find((t) => t.tag === job._tag)!.handle(job, { jobId: "1", attempt, maxAttempts: 5 })

const outboxFiles = (dir: string) =>
  Effect.promise(async () => {
    const outbox = Path.join(dir, "outbox")
    const names = (await Fs.readdir(outbox).catch(() => [])).filter((n) => n.endsWith(".eml"))
    return Promise.all(names.map((n) => Fs.readFile(Path.join(outbox, n), "utf8")))
  })

describe("delivery tasks", () => {
  it.layer(NotificationsRepo.layer.pipe(Layer.provideMerge(TestDatabase())), { timeout: "60 seconds", excludeTestServices: true })(
    (it) => {
      it.effect("SendEmail delivers a rendered template over SMTP", () =>
        Effect.gen(function*() {
          const smtp = yield* smtpServer
          const tasks = yield* tasksWith({ SMTP_URL: `smtp://user:pass@127.0.0.1:${smtp.port}`, MAIL_FROM: "MapleHustle <hello@maplehustle.ca>" })
          yield* run(tasks, new SendEmail({
            to: "ann@example.com",
            template: "password_reset",
            variables: { name: "Ann <script>", token: "tok123", link: "https://app.example/reset?token=tok123" }
          }))
          assert.strictEqual(smtp.received.length, 1)
          const mail = smtp.received[0]!
          assert.deepStrictEqual(mail.to, ["ann@example.com"])
          assert.strictEqual(mail.from, "hello@maplehustle.ca")
          assert.match(mail.raw, /Subject: Reset your password/)
          assert.match(mail.raw, /tok123/)
          const unfolded = mail.raw.replaceAll("=\r\n", "")
          assert.match(unfolded, /<p>Hi Ann &lt;script&gt;,<\/p>/, "variables are escaped in the HTML part")
        }).pipe(Effect.scoped))

      it.effect("without SMTP_URL, each email is an .eml file in the outbox", () =>
        Effect.gen(function*() {
          const dir = yield* tempDir
          const tasks = yield* tasksWith({ DATA_DIR: dir })
          yield* run(tasks, new SendEmail({ to: "bo@example.com", template: "welcome", variables: { name: "Bo" } }))
          const files = yield* outboxFiles(dir)
          assert.strictEqual(files.length, 1)
          assert.match(files[0]!, /^To: bo@example\.com$/m)
          assert.match(files[0]!, /Subject: Welcome to MapleHustle/)
        }).pipe(Effect.scoped))

      it.effect("sealed variables are opened for the email; a seal that does not open fails permanently", () =>
        Effect.gen(function*() {
          const dir = yield* tempDir
          const tasks = yield* tasksWith({ DATA_DIR: dir })
          const seal = yield* PayloadSeal.useSync((s) => s).pipe(Effect.provide(TestSecrets))
          const sealed = seal.seal(Schema.encodeSync(SealedVariables)({ token: "tok-sealed-42", link: "https://app.example/verify-email?token=tok-sealed-42" }))
          assert.notInclude(sealed, "tok-sealed-42")
          yield* run(tasks, new SendEmail({ to: "cy@example.com", template: "email_verification", variables: { name: "Cy" }, sealed }))
          const files = yield* outboxFiles(dir)
          assert.strictEqual(files.length, 1)
          assert.match(files[0]!.replaceAll("=\r\n", ""), /verify-email\?token=3Dtok-sealed-42|verify-email\?token=tok-sealed-42/)

          // Sealed under another JWT_SECRET, or altered in the database: never sent, never retried.
          const otherSeal = yield* PayloadSeal.useSync((s) => s).pipe(
            Effect.provide(SecretsLive.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ JWT_SECRET: `${TEST_JWT_SECRET}-rotated` })))))
          )
          const foreign = otherSeal.seal(Schema.encodeSync(SealedVariables)({ token: "t", link: "l" }))
          // One character of the ciphertext changed (the second to last: the last may hold only padding bits).
          const altered = `${sealed.slice(0, -2)}${sealed.at(-2) === "A" ? "B" : "A"}${sealed.slice(-1)}`
          assert.notStrictEqual(altered, sealed)
          for (const bad of [foreign, altered, "plain text"]) {
            const exit = yield* Effect.exit(run(tasks, new SendEmail({ to: "cy@example.com", template: "email_verification", variables: { name: "Cy" }, sealed: bad })))
            assert.match(String(exit), /PermanentJobFailure/)
            assert.match(String(exit), /sealed variables do not open/)
          }
          assert.strictEqual((yield* outboxFiles(dir)).length, 1, "nothing more was sent")
        }).pipe(Effect.scoped))

      it.effect("a template missing a variable fails permanently", () =>
        Effect.gen(function*() {
          const dir = yield* tempDir
          const tasks = yield* tasksWith({ DATA_DIR: dir })
          const exit = yield* Effect.exit(run(tasks, new SendEmail({ to: "x@example.com", template: "email_verification", variables: { name: "X" } })))
          assert.isTrue(Exit.isFailure(exit))
          assert.match(String(exit), /PermanentJobFailure/)
          assert.match(String(exit), /lacks token, link/)
        }).pipe(Effect.scoped))

      it.effect("SendSms posts to the Twilio-style API; rejections are permanent, outages retried", () =>
        Effect.gen(function*() {
          let status = 201
          const api = yield* smsApi(() => status)
          const tasks = yield* tasksWith({ SMS_API_URL: api.url, SMS_ACCOUNT_SID: "AC123", SMS_AUTH_TOKEN: "secret", SMS_FROM: "+15550000000" })
          yield* run(tasks, new SendSms({ to: "+14165551234", template: "verification_code", variables: { code: "482913" } }))
          const request = api.requests[0]!
          assert.strictEqual(request.path, "/2010-04-01/Accounts/AC123/Messages.json")
          assert.strictEqual(request.authorization, `Basic ${Buffer.from("AC123:secret").toString("base64")}`)
          assert.strictEqual(request.form.get("To"), "+14165551234")
          assert.strictEqual(request.form.get("From"), "+15550000000")
          assert.match(request.form.get("Body") ?? "", /482913/)
          status = 400
          const rejected = yield* Effect.exit(run(tasks, new SendSms({ to: "bad", template: "verification_code", variables: { code: "1" } })))
          assert.match(String(rejected), /PermanentJobFailure/)
          status = 503
          const outage = yield* Effect.exit(run(tasks, new SendSms({ to: "+14165551234", template: "verification_code", variables: { code: "1" } })))
          assert.isTrue(Exit.isFailure(outage))
          assert.notMatch(String(outage), /PermanentJobFailure/)
        }).pipe(Effect.scoped))

      it.effect("without SMS_API_URL, messages are appended to sms.log", () =>
        Effect.gen(function*() {
          const dir = yield* tempDir
          const tasks = yield* tasksWith({ DATA_DIR: dir })
          yield* run(tasks, new SendSms({ to: "+14165550000", template: "payment_confirmation", variables: { amount: "42.50" } }))
          const log = yield* Effect.promise(() => Fs.readFile(Path.join(dir, "sms.log"), "utf8"))
          assert.match(log, /"to":"\+14165550000"/)
          assert.match(log, /42\.50 CAD/)
        }).pipe(Effect.scoped))

      it.effect("DeliverNotification fans out by preference, records every attempt, and resends only what failed", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient
          const smtp = yield* smtpServer
          let smsStatus = 503
          const api = yield* smsApi(() => smsStatus)
          const tasks = yield* tasksWith({
            SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
            SMS_API_URL: api.url,
            SMS_ACCOUNT_SID: "AC1",
            SMS_AUTH_TOKEN: "t",
            SMS_FROM: "+15550000000"
          })
          const userId = yield* insertUser("client")
          yield* sql`UPDATE users SET phone_number = '+14165557777' WHERE id = ${userId}`
          yield* sql`INSERT INTO notification_preferences (user_id, notify_by_sms) VALUES (${userId}, true)`
          const [notification] = yield* sql<{ id: string }>`
            INSERT INTO notifications (user_id, type, content) VALUES (${userId}, 'message_received', 'Bo sent you a message')
            RETURNING id`
          const job = new DeliverNotification({ notificationId: notification!.id })

          const first = yield* Effect.exit(run(tasks, job, 1))
          assert.isTrue(Exit.isFailure(first), "the SMS outage fails the attempt")
          smsStatus = 201
          yield* run(tasks, job, 2)

          assert.strictEqual(smtp.received.length, 1, "the email went out once, not again on the retry")
          assert.match(smtp.received[0]!.raw, /You have a new message/)
          assert.strictEqual(api.requests.length, 2)
          const deliveries = yield* sql<{ channel: string; status: string; attempt: number }>`
            SELECT channel, status, attempt FROM notification_deliveries WHERE notification_id = ${notification!.id}
            ORDER BY id`
          assert.deepStrictEqual(deliveries.map((d) => `${d.channel}:${d.status}:${d.attempt}`), [
            "in_app:sent:1",
            "email:sent:1",
            "sms:failed:1",
            "sms:sent:2"
          ])
        }).pipe(Effect.scoped))

      it.effect("preferences off: a payment notification stays in-app", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient
          const dir = yield* tempDir
          const tasks = yield* tasksWith({ DATA_DIR: dir })
          const userId = yield* insertUser("provider")
          const [notification] = yield* sql<{ id: string }>`
            INSERT INTO notifications (user_id, type, content) VALUES (${userId}, 'payment_received', 'Paid')
            RETURNING id`
          yield* run(tasks, new DeliverNotification({ notificationId: notification!.id }))
          assert.deepStrictEqual(yield* outboxFiles(dir), [])
          const channels = yield* sql<{ channel: string }>`
            SELECT channel FROM notification_deliveries WHERE notification_id = ${notification!.id}`
          assert.deepStrictEqual(channels.map((c) => c.channel), ["in_app"])
        }).pipe(Effect.scoped))
    }
  )
})
