/**
 * HTTP server spans through the real routes, recorded by a tracer of the
 * test's own: named by method and route template, with status, request id,
 * statement count and user id, continuing the caller's `traceparent`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Tracer } from "effect"
import { HttpClientRequest, HttpServer } from "effect/http"
import { insertService } from "../utils/fixtures.ts"
import { send, userWithToken } from "../utils/Http.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TestApp, TestRedis } from "../utils/TestInfra.ts"
import { recordingTracer } from "../utils/Spans.ts"

const { spans, tracer } = recordingTracer()
const Recording = Layer.succeed(Tracer.Tracer, tracer)

const serverSpanOf = (requestId: string) =>
  spans.find((span) => span.kind === "server" && span.attributes.get("http.request_id") === requestId)

describe("server spans", () => {
  it.layer(TestApp.pipe(Layer.provideMerge(Layer.mergeAll(TestDatabase(), TestRedis(), Recording))), {
    timeout: "60 seconds",
    excludeTestServices: true
  })("routes", (it) => {
    it.effect("named by route template, with status, request id, statements and the caller's id; the caller's trace continues", () =>
      Effect.gen(function*() {
        const provider = yield* userWithToken("provider")
        const serviceId = yield* insertService(provider.id)
        const traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
        // Plain fetch, standing for another service: the test's own HttpClient would send its span's traceparent.
        const address = (yield* HttpServer.HttpServer).address
        const port = address._tag === "UnixPathAddress" ? 0 : address.port
        const response = yield* Effect.promise(() =>
          fetch(`http://127.0.0.1:${port}/services/${serviceId}`, {
            headers: { "x-request-id": "span-test-1", traceparent: `00-${traceId}-00f067aa0ba902b7-01` }
          }).then(async (r) => ({ status: r.status, traceparent: r.headers.get("traceparent") ?? "", body: await r.text() }))
        )
        assert.strictEqual(response.status, 200)
        const service = serverSpanOf("span-test-1")!
        assert.strictEqual(service.name, "GET /services/{id}")
        assert.strictEqual(service.attributes.get("http.route"), "/services/:id")
        assert.strictEqual(service.attributes.get("http.response.status_code"), 200)
        assert.strictEqual(service.attributes.get("db.statements"), 1)
        assert.strictEqual(service.traceId, traceId)
        assert.match(response.traceparent, new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`))

        yield* send(provider.as(HttpClientRequest.get("/users/me")).pipe(HttpClientRequest.setHeader("x-request-id", "span-test-2")))
        const me = serverSpanOf("span-test-2")!
        assert.strictEqual(me.name, "GET /users/me")
        assert.strictEqual(me.attributes.get("user.id"), provider.id)

        yield* send(HttpClientRequest.get("/no/such/route").pipe(HttpClientRequest.setHeader("x-request-id", "span-test-3")))
        assert.strictEqual(serverSpanOf("span-test-3")!.name, "GET")
      }))
  })
})
