/**
 * Real protocol peers on loopback for delivery tests: an SMTP server that keeps
 * what it receives, an HTTP server standing in for a Twilio-style SMS API, an
 * OTLP/HTTP receiver standing in for the OpenTelemetry Collector, and
 * throwaway Redis servers for the tests that stop one.
 */
import { Effect, Schedule, Schema } from "effect"
import { spawn } from "node:child_process"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { SMTPServer } from "smtp-server"
import { Redis } from "../../src/infra/Redis.ts"

const parseJson = Schema.decodeUnknownSync(Schema.fromJsonString(Schema.Unknown))

export interface ReceivedMail {
  readonly from: string
  readonly to: ReadonlyArray<string>
  readonly raw: string
}

/** An SMTP server on an ephemeral port accepting any sender, recipient and credentials. */
export const smtpServer = Effect.acquireRelease(
  Effect.promise(() =>
    new Promise<{ readonly port: number; readonly received: Array<ReceivedMail>; readonly server: SMTPServer }>((resolve) => {
      const received: Array<ReceivedMail> = []
      const server = new SMTPServer({
        authOptional: true,
        disabledCommands: ["STARTTLS"],
        onAuth: (_auth, _session, callback) => callback(null, { user: "test" }),
        onData: (stream, session, callback) => {
          let raw = ""
          stream.on("data", (chunk: Buffer) => raw += chunk.toString())
          stream.on("end", () => {
            received.push({
              from: session.envelope.mailFrom === false ? "" : session.envelope.mailFrom.address,
              to: session.envelope.rcptTo.map((r) => r.address),
              raw
            })
            callback()
          })
        }
      })
      server.listen(0, "127.0.0.1", () => resolve({ port: (server.server.address() as AddressInfo).port, received, server }))
    })
  ),
  ({ server }) => Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
)

export interface SmsRequest {
  readonly path: string
  readonly authorization: string | undefined
  readonly form: URLSearchParams
}

/** A Twilio-compatible SMS API: answers `status` (201 by default) and records each request. */
export const smsApi = (respond: (request: SmsRequest) => number = () => 201) =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<{ readonly url: string; readonly requests: Array<SmsRequest>; readonly server: Http.Server }>((resolve) => {
        const requests: Array<SmsRequest> = []
        const server = Http.createServer((req, res) => {
          let body = ""
          req.on("data", (chunk: Buffer) => body += chunk.toString())
          req.on("end", () => {
            const request = { path: req.url ?? "", authorization: req.headers.authorization, form: new URLSearchParams(body) }
            requests.push(request)
            const status = respond(request)
            res.writeHead(status, { "content-type": "application/json" })
            res.end(status < 300 ? `{"sid":"SM${requests.length}","status":"queued"}` : `{"message":"rejected"}`)
          })
        })
        server.listen(0, "127.0.0.1", () =>
          resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server }))
      })
    ),
    ({ server }) => Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
  )

/** OTLP's JSON encoding, as far as the tests read it. */
export interface OtlpAttribute {
  readonly key: string
  readonly value: {
    readonly stringValue?: string
    readonly boolValue?: boolean
    readonly intValue?: number | string
    readonly doubleValue?: number
  }
}
export interface OtlpSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  readonly kind: number
  readonly attributes?: ReadonlyArray<OtlpAttribute>
  readonly events?: ReadonlyArray<{ readonly name: string; readonly attributes?: ReadonlyArray<OtlpAttribute> }>
  readonly links?: ReadonlyArray<{ readonly traceId: string; readonly spanId: string }>
}
export interface OtlpBody {
  readonly resourceSpans?: ReadonlyArray<{
    readonly resource: { readonly attributes?: ReadonlyArray<OtlpAttribute> }
    readonly scopeSpans: ReadonlyArray<{ readonly spans: ReadonlyArray<OtlpSpan> }>
  }>
  readonly resourceMetrics?: ReadonlyArray<{
    readonly scopeMetrics: ReadonlyArray<{ readonly metrics: ReadonlyArray<{ readonly name: string }> }>
  }>
}

/** One OTLP/HTTP export request: its signal (`traces`, `metrics`, `logs`) and JSON body. */
export interface OtlpExport {
  readonly signal: string
  readonly body: OtlpBody
}

/** An OTLP/HTTP (JSON) receiver, a collector's stand-in: answers 200 and keeps every export. */
export const otlpReceiver = Effect.acquireRelease(
  Effect.promise(() =>
    new Promise<{ readonly url: string; readonly received: Array<OtlpExport>; readonly server: Http.Server }>((resolve) => {
      const received: Array<OtlpExport> = []
      const server = Http.createServer((request, response) => {
        const chunks: Array<Buffer> = []
        request.on("data", (chunk: Buffer) => chunks.push(chunk))
        request.on("end", () => {
          const signal = /^\/v1\/(traces|metrics|logs)$/.exec(request.url ?? "")?.[1]
          if (signal !== undefined) received.push({ signal, body: parseJson(Buffer.concat(chunks).toString()) as OtlpBody })
          response.writeHead(signal === undefined ? 404 : 200, { "content-type": "application/json" }).end("{}")
        })
      })
      server.listen(0, "127.0.0.1", () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server }))
    })
  ),
  ({ server }) => Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
)

/** A redis-server of the test's own on `port` (loopback, nothing persisted); the caller kills it. */
export const spawnRedis = (port: number, stdout: "ignore" | "pipe" = "ignore") =>
  spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: ["ignore", stdout, "ignore"]
  })

/** Waits (up to 5 s) until the `Redis` service's server answers. */
export const awaitRedisPing = Effect.gen(function*() {
  const redis = yield* Redis
  return yield* redis.ping("200 millis").pipe(Effect.retry({ schedule: Schedule.spaced("20 millis"), times: 250 }))
})
