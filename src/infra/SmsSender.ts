/**
 * Outgoing SMS. With `SMS_API_URL` set, messages go to a Twilio-compatible
 * REST API (`POST {SMS_API_URL}/2010-04-01/Accounts/{SMS_ACCOUNT_SID}/Messages.json`,
 * form-encoded `To`, `From`, `Body`, basic auth with `SMS_AUTH_TOKEN`);
 * without it each message is appended as one JSON line to `$DATA_DIR/sms.log`.
 */
import { Config, Context, Data, Effect, Layer, Option, Redacted, Schema } from "effect"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import * as Settings from "./Settings.ts"

export interface Sms {
  readonly to: string
  readonly body: string
}

export class SmsUnavailable extends Data.TaggedError("SmsUnavailable")<{
  readonly message: string
  /** 4xx other than 429: the provider rejected this message; retrying will not help. */
  readonly rejected: boolean
}> {}

const encodeLogLine = Schema.encodeSync(
  Schema.fromJsonString(Schema.Struct({ id: Schema.String, at: Schema.String, to: Schema.String, body: Schema.String }))
)
const decodeReply = Schema.decodeUnknownOption(Schema.fromJsonString(Schema.Struct({ sid: Schema.String })))

export class SmsSender extends Context.Service<SmsSender, {
  /** Sends one message; returns the provider's message id. */
  readonly send: (sms: Sms) => Effect.Effect<string, SmsUnavailable>
  readonly description: string
}>()("maplehustle/infra/SmsSender") {
  static readonly layer = Layer.effect(SmsSender, Effect.gen(function*() {
    const apiUrl = yield* Config.option(Config.String("SMS_API_URL"))
    const dataDir = yield* Settings.dataDir
    if (Option.isNone(apiUrl)) {
      const log = Path.resolve(dataDir, "sms.log")
      return {
        description: `log ${log}`,
        send: Effect.fn("SmsSender.send")((sms: Sms) =>
          Effect.tryPromise({
            try: async () => {
              const id = `log_${crypto.randomUUID()}`
              await Fs.mkdir(Path.dirname(log), { recursive: true })
              await Fs.appendFile(log, `${encodeLogLine({ id, at: new Date().toISOString(), ...sms })}\n`)
              return id
            },
            catch: (cause) => new SmsUnavailable({ message: String(cause), rejected: false })
          }))
      }
    }
    const accountSid = yield* Config.String("SMS_ACCOUNT_SID")
    const authToken = yield* Config.Redacted("SMS_AUTH_TOKEN")
    const from = yield* Config.String("SMS_FROM")
    const endpoint = new URL(`2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json`, apiUrl.value.endsWith("/") ? apiUrl.value : `${apiUrl.value}/`)
    const authorization = `Basic ${Buffer.from(`${accountSid}:${Redacted.value(authToken)}`).toString("base64")}`
    return {
      description: `SMS API ${endpoint.host}`,
      send: Effect.fn("SmsSender.send")((sms: Sms) =>
        Effect.tryPromise({
          try: async (signal) => {
            const response = await fetch(endpoint, {
              method: "POST",
              headers: { authorization, "content-type": "application/x-www-form-urlencoded" },
              body: new URLSearchParams({ To: sms.to, From: from, Body: sms.body }),
              signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)])
            })
            const body = await response.text()
            if (!response.ok) {
              throw new SmsUnavailable({
                message: `SMS API answered ${response.status}: ${body.slice(0, 200)}`,
                rejected: response.status >= 400 && response.status < 500 && response.status !== 429
              })
            }
            return Option.match(decodeReply(body), { onNone: () => "unknown", onSome: (reply) => reply.sid })
          },
          catch: (cause) =>
            cause instanceof SmsUnavailable ? cause : new SmsUnavailable({ message: String(cause), rejected: false })
        }))
    }
  }))
}
