/**
 * Real protocol peers on loopback for delivery tests: an SMTP server that keeps
 * what it receives, and an HTTP server standing in for a Twilio-style SMS API.
 */
import { Effect } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { SMTPServer } from "smtp-server"

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
