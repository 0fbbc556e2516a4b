/**
 * Outgoing email through nodemailer. With `SMTP_URL` (`smtp://user:pass@host:port`,
 * `smtps://…` for TLS) messages go to that server; without it each message is
 * written as an RFC 822 `.eml` file under `$DATA_DIR/outbox/` — the embedded
 * default, readable by people and tests alike.
 */
import { Config, Context, Data, Effect, Layer, Option, Redacted } from "effect"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import { createTransport } from "nodemailer"
import * as Settings from "./Settings.ts"

export interface Email {
  readonly to: string
  readonly subject: string
  readonly text: string
  readonly html: string
}

export class MailerUnavailable extends Data.TaggedError("MailerUnavailable")<{ readonly message: string }> {}

export class Mailer extends Context.Service<Mailer, {
  /** Sends one message; returns its Message-ID. */
  readonly send: (email: Email) => Effect.Effect<string, MailerUnavailable>
  readonly description: string
}>()("maplehustle/infra/Mailer") {
  static readonly layer = Layer.effect(Mailer, Effect.gen(function*() {
    const smtpUrl = yield* Config.option(Config.Redacted("SMTP_URL"))
    const from = yield* Config.String("MAIL_FROM").pipe(Config.withDefault("MapleHustle <no-reply@maplehustle.ca>"))
    const dataDir = yield* Settings.dataDir

    if (Option.isSome(smtpUrl)) {
      const url = new URL(Redacted.value(smtpUrl.value))
      const secure = url.protocol === "smtps:"
      const transport = yield* Effect.acquireRelease(
        Effect.sync(() =>
          createTransport({
            host: url.hostname,
            port: url.port === "" ? (secure ? 465 : 587) : Number(url.port),
            secure,
            ...(url.username !== "" && {
              auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
            }),
            // A job's attempt should fail in seconds, not nodemailer's default minutes.
            connectionTimeout: 10_000,
            greetingTimeout: 10_000,
            socketTimeout: 20_000
          })
        ),
        (transport) => Effect.sync(() => transport.close())
      )
      return {
        description: `SMTP ${url.hostname}:${url.port || (secure ? 465 : 587)}`,
        send: Effect.fn("Mailer.send")((email: Email) =>
          Effect.tryPromise({
            try: () => transport.sendMail({ from, ...email }),
            catch: (cause) => new MailerUnavailable({ message: cause instanceof Error ? cause.message : String(cause) })
          }).pipe(Effect.map((info) => String(info.messageId))))
      }
    }

    const outbox = Path.resolve(dataDir, "outbox")
    const transport = createTransport({ streamTransport: true, buffer: true, newline: "unix" })
    return {
      description: `outbox ${outbox}`,
      send: Effect.fn("Mailer.send")((email: Email) =>
        Effect.tryPromise({
          try: async () => {
            const info = await transport.sendMail({ from, ...email })
            await Fs.mkdir(outbox, { recursive: true })
            const name = `${new Date().toISOString().replaceAll(":", "-")}-${crypto.randomUUID()}.eml`
            // Written under a temporary name and renamed, so a reader never sees half a message.
            await Fs.writeFile(Path.join(outbox, `.${name}`), info.message as Buffer)
            await Fs.rename(Path.join(outbox, `.${name}`), Path.join(outbox, name))
            return String(info.messageId)
          },
          catch: (cause) => new MailerUnavailable({ message: cause instanceof Error ? cause.message : String(cause) })
        }))
    }
  }))
}
