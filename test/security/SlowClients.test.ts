/**
 * Slow clients cannot hold the server (slow-loris): a client that trickles its
 * headers, or its body, is disconnected after the header or request timeout,
 * and while many such clients hang on, other requests are served as usual.
 * The server is built as `main.ts` builds it (`serverOn`), with short timeouts.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Fiber, Layer, Schema } from "effect"
import { HttpRouter, HttpServer } from "effect/http"
import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup } from "effect/http-api"
import * as Net from "node:net"
import { serverOn } from "../../src/Http.ts"
import { HttpEdgeLive } from "../../src/infra/HttpEdge.ts"

class PingGroup extends HttpApiGroup.make("ping").add(
  HttpApiEndpoint.post("ping", "/ping", { payload: Schema.Struct({ n: Schema.Number }), success: Schema.Number })
) {}
class PingApi extends HttpApi.make("ping").add(PingGroup) {}

const handlers = HttpApiBuilder.group(PingApi, "ping", (h) => h.handle("ping", ({ payload }) => Effect.succeed(payload.n)))

/** The server on a free port, with a 400 ms header and a 1 s request timeout; its port. */
const server = Effect.gen(function*() {
  const context = yield* Layer.build(
    HttpRouter.serve(
      Layer.mergeAll(HttpApiBuilder.layer(PingApi).pipe(Layer.provide(handlers)), HttpEdgeLive),
      { disableLogger: true, disableListenLog: true }
    ).pipe(Layer.provideMerge(serverOn(0, { headersMs: 400, requestMs: 1_000 })))
  )
  const address = Context.get(context, HttpServer.HttpServer).address
  if (address._tag === "UnixPathAddress") return yield* Effect.die("the server listens on a TCP port")
  return address.port
})

/**
 * A raw connection that sends `start`, then one more byte of `trickle` every
 * 50 ms; resolves with what the server answered once it closes the connection.
 */
const slowClient = (port: number, start: string, trickle: string) =>
  Effect.callback<string>((resume) => {
    let received = ""
    let sent = 0
    let timer: ReturnType<typeof setInterval> | undefined
    const socket = Net.connect(port, "127.0.0.1", () => {
      socket.write(start)
      timer = setInterval(() => {
        if (sent < trickle.length && socket.writable) socket.write(trickle[sent++]!)
      }, 50)
    })
    socket.on("data", (chunk) => received += chunk.toString())
    socket.on("error", () => undefined)
    socket.on("close", () => {
      clearInterval(timer)
      resume(Effect.succeed(received))
    })
    return Effect.sync(() => {
      clearInterval(timer)
      socket.destroy()
    })
  })

const ping = (port: number) =>
  Effect.promise(async () => {
    const response = await fetch(`http://127.0.0.1:${port}/ping`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"n":7}`
    })
    return { status: response.status, body: await response.text() }
  })

// Headers that never end: header lines trickled a byte per 50 ms, never followed by the blank line.
const endlessHeaders = Array.from({ length: 40 }, (_, i) => `x-${i}: y\r\n`).join("")

describe("slow clients", () => {
  it.live("a client trickling its headers is cut off with 408; others are served meanwhile", () =>
    Effect.gen(function*() {
      const port = yield* server
      const slow = yield* Effect.forkChild(
        Effect.all(Array.from({ length: 50 }, () => slowClient(port, "POST /ping HTTP/1.1\r\nhost: x\r\n", endlessHeaders)), {
          concurrency: "unbounded"
        })
      )
      // A normal request sent while the slow clients connect and trickle is served.
      assert.deepStrictEqual(yield* ping(port), { status: 200, body: "7" })
      // Without the timeouts the connections would stay open: their headers never end.
      const answers = yield* Fiber.join(slow).pipe(Effect.timeout("5 seconds"))
      assert.isTrue(answers.every((answer) => answer.startsWith("HTTP/1.1 408")), [...new Set(answers)].join(" | "))
      assert.deepStrictEqual(yield* ping(port), { status: 200, body: "7" })
    }).pipe(Effect.scoped), 30_000)

  it.live("a client trickling its body is cut off after the request timeout", () =>
    Effect.gen(function*() {
      const port = yield* server
      const body = `{"n":1,"pad":"${"z".repeat(400)}"}`
      const answer = yield* slowClient(
        port,
        `POST /ping HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`,
        body
      ).pipe(Effect.timeout("5 seconds"))
      assert.match(answer, /^HTTP\/1\.1 408/)
    }).pipe(Effect.scoped), 30_000)
})
