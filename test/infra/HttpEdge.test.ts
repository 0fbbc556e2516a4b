/**
 * The edge middleware on a small API of its own: whatever the route, failures
 * answer with the error envelope, and every response carries the request id,
 * `traceparent` and the security headers.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Logger, References, Schema, Stream } from "effect"
import { HttpClient, HttpClientRequest, HttpRouter } from "effect/http"
import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup, HttpApiSwagger } from "effect/http-api"
import { ConnectionError, SqlError } from "effect/sql/SqlError"
import { HttpEdgeLive, MAX_BODY_BYTES } from "../../src/infra/HttpEdge.ts"
import { send } from "../utils/Http.ts"

class Probe extends HttpApiGroup.make("probe").add(
  HttpApiEndpoint.post("echo", "/echo/:id", {
    params: { id: Schema.String.check(Schema.isUUID()) },
    payload: Schema.Struct({ name: Schema.String.check(Schema.isMinLength(2)), count: Schema.Int }),
    success: Schema.Struct({ name: Schema.String, count: Schema.Int })
  }),
  HttpApiEndpoint.get("defect", "/defect", { success: Schema.String }),
  HttpApiEndpoint.get("databaseDown", "/database-down", { success: Schema.String })
) {}
class ProbeApi extends HttpApi.make("probe").add(Probe) {}

const ProbeHttp = HttpApiBuilder.group(ProbeApi, "probe", (handlers) =>
  handlers
    .handle("echo", ({ payload }) => Effect.succeed(payload))
    .handle("defect", () => Effect.die(new Error("boom at db.internal.example:5432 password=hunter2")))
    .handle("databaseDown", () =>
      Effect.die(new SqlError({ reason: new ConnectionError({ cause: new Error("ECONNREFUSED 10.0.0.5:5432") }) }))))

/** Every Error-level log line, with its annotations, as JSON. */
class ErrorLogs extends Context.Service<ErrorLogs, Array<string>>()("maplehustle/test/infra/HttpEdge.test/ErrorLogs") {}
const errorLogs = Layer.unwrap(Effect.sync(() => {
  const logs: Array<string> = []
  return Layer.mergeAll(
    Layer.succeed(ErrorLogs, logs),
    Logger.layer([Logger.make((options) => {
      if (options.logLevel === "Error") logs.push(JSON.stringify(options.fiber.getRef(References.CurrentLogAnnotations)))
    })])
  )
}))

const TestEdge = HttpRouter.serve(
  Layer.mergeAll(
    HttpApiBuilder.layer(ProbeApi, { openapiPath: "/openapi.json" }).pipe(Layer.provide(ProbeHttp)),
    HttpApiSwagger.layer(ProbeApi, { path: "/docs" }),
    HttpEdgeLive
  ),
  { disableLogger: true }
).pipe(Layer.provideMerge(NodeHttpServer.layerTest), Layer.provideMerge(errorLogs))

const validId = "6f1c2a52-1b9e-4a43-9d0b-8b2f1f0f8a11"

describe("HttpEdge", () => {
  it.layer(TestEdge, { timeout: "30 seconds" })((it) => {
    it.effect("unknown routes answer 404 with the envelope and every shared header", () =>
      Effect.gen(function*() {
        const res = yield* send(HttpClientRequest.get("/nowhere?x=1"))
        assert.strictEqual(res.status, 404)
        assert.deepStrictEqual(res.body, { _tag: "NotFound", message: "No route for GET /nowhere" })
        assert.strictEqual(res.headers["x-content-type-options"], "nosniff")
        assert.strictEqual(res.headers["x-frame-options"], "DENY")
        assert.strictEqual(res.headers["referrer-policy"], "strict-origin-when-cross-origin")
        assert.strictEqual(res.headers["strict-transport-security"], "max-age=31536000; includeSubDomains")
        assert.match(res.headers["content-security-policy"] ?? "", /default-src 'none'/)
        assert.match(res.headers["x-request-id"] ?? "", /^[0-9a-f-]{36}$/)
        assert.match(res.headers["traceparent"] ?? "", /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/)
      }))

    it.effect("a well-formed X-Request-Id is echoed, a malformed one replaced", () =>
      Effect.gen(function*() {
        const echoed = yield* send(HttpClientRequest.get("/nowhere").pipe(HttpClientRequest.setHeader("x-request-id", "req-42.abc")))
        assert.strictEqual(echoed.headers["x-request-id"], "req-42.abc")
        const replaced = yield* send(HttpClientRequest.get("/nowhere").pipe(HttpClientRequest.setHeader("x-request-id", "bad id; drop table")))
        assert.notStrictEqual(replaced.headers["x-request-id"], "bad id; drop table")
        assert.match(replaced.headers["x-request-id"] ?? "", /^[0-9a-f-]{36}$/)
      }))

    it.effect("an incoming traceparent's trace is continued", () =>
      Effect.gen(function*() {
        const traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
        // The test client would otherwise send its own span's traceparent.
        const res = yield* send(
          HttpClientRequest.get("/nowhere").pipe(HttpClientRequest.setHeader("traceparent", `00-${traceId}-00f067aa0ba902b7-01`))
        ).pipe(Effect.provideService(HttpClient.TracerPropagationEnabled, false))
        assert.strictEqual(res.headers["traceparent"]?.split("-")[1], traceId)
      }))

    it.effect("invalid bodies answer 400 naming each field", () =>
      Effect.gen(function*() {
        const res = yield* send(HttpClientRequest.post(`/echo/${validId}`).pipe(HttpClientRequest.bodyJsonUnsafe({ name: "x", count: 1 })))
        assert.strictEqual(res.status, 400)
        assert.strictEqual(res.body._tag, "HttpApiDecodeError")
        assert.strictEqual(res.body.in, "body")
        assert.deepStrictEqual(res.body.issues.map((i: { path: unknown }) => i.path), [["name"]])
        assert.match(res.body.message, /name/)
        const wrongType = yield* send(
          HttpClientRequest.post(`/echo/${validId}`).pipe(HttpClientRequest.bodyJsonUnsafe({ name: "Ann", count: "1" }))
        )
        assert.strictEqual(wrongType.status, 400)
        assert.deepStrictEqual(wrongType.body.issues.map((i: { path: unknown }) => i.path), [["count"]])
        const ok = yield* send(HttpClientRequest.post(`/echo/${validId}`).pipe(HttpClientRequest.bodyJsonUnsafe({ name: "Ann", count: 2 })))
        assert.deepStrictEqual([ok.status, ok.body], [200, { name: "Ann", count: 2 }])
      }))

    it.effect("invalid path parameters and malformed JSON answer 400", () =>
      Effect.gen(function*() {
        const badPath = yield* send(HttpClientRequest.post("/echo/not-a-uuid").pipe(HttpClientRequest.bodyJsonUnsafe({ name: "Ann", count: 2 })))
        assert.strictEqual(badPath.status, 400)
        assert.strictEqual(badPath.body.in, "path")
        assert.deepStrictEqual(badPath.body.issues[0].path, ["id"])
        const malformed = yield* send(
          HttpClientRequest.post(`/echo/${validId}`).pipe(HttpClientRequest.bodyText("{\"name\": ", "application/json"))
        )
        assert.strictEqual(malformed.status, 400)
        assert.include(["HttpApiDecodeError", "BadRequest"], malformed.body._tag)
      }))

    it.effect("a body of a type the route does not take answers 415 in the envelope", () =>
      Effect.gen(function*() {
        const text = yield* send(HttpClientRequest.post(`/echo/${validId}`).pipe(HttpClientRequest.bodyText("name=Ann", "text/plain")))
        assert.deepStrictEqual(text.body, {
          _tag: "UnsupportedMediaType",
          message: "Unsupported Content-Type text/plain; send application/json",
          content_type: "text/plain",
          allowed: ["application/json"]
        })
        assert.strictEqual(text.status, 415)
      }))

    it.effect("bodies over 1 MiB answer 413, declared or streamed", () =>
      Effect.gen(function*() {
        const big = "x".repeat(MAX_BODY_BYTES + 1)
        const declared = yield* send(HttpClientRequest.post(`/echo/${validId}`).pipe(HttpClientRequest.bodyText(big, "application/json")))
        assert.strictEqual(declared.status, 413)
        assert.deepStrictEqual(declared.body, {
          _tag: "PayloadTooLarge",
          message: `The request body exceeds ${MAX_BODY_BYTES} bytes`,
          limit_bytes: MAX_BODY_BYTES
        })
        const chunk = new TextEncoder().encode("x".repeat(64 * 1024))
        const streamed = yield* send(
          HttpClientRequest.post(`/echo/${validId}`).pipe(
            HttpClientRequest.bodyStream(Stream.make(...Array.from({ length: 20 }, () => chunk)), { contentType: "application/json" })
          )
        )
        assert.strictEqual(streamed.status, 413)
      }))

    it.effect("defects answer 500 without internals, logged once with the request id", () =>
      Effect.gen(function*() {
        const logs = yield* ErrorLogs
        const before = logs.length
        const res = yield* send(HttpClientRequest.get("/defect"))
        assert.strictEqual(res.status, 500)
        assert.deepStrictEqual(res.body, {
          _tag: "InternalServerError",
          message: "Internal server error",
          request_id: res.headers["x-request-id"]
        })
        assert.notMatch(res.text, /db\.internal|hunter2|5432|at /)
        const logged = logs.slice(before)
        assert.strictEqual(logged.length, 1)
        assert.include(logged[0], res.headers["x-request-id"])
      }))

    it.effect("an unreachable database answers 503 without its address", () =>
      Effect.gen(function*() {
        const res = yield* send(HttpClientRequest.get("/database-down"))
        assert.strictEqual(res.status, 503)
        assert.strictEqual(res.body._tag, "ServiceUnavailable")
        assert.notMatch(res.text, /10\.0\.0\.5|ECONNREFUSED/)
      }))

    it.effect("CORS admits the configured origins only", () =>
      Effect.gen(function*() {
        const preflight = (origin: string) =>
          send(HttpClientRequest.options(`/echo/${validId}`).pipe(HttpClientRequest.setHeaders({
            origin,
            "access-control-request-method": "POST"
          })))
        const allowed = yield* preflight("http://localhost:4200")
        assert.strictEqual(allowed.headers["access-control-allow-origin"], "http://localhost:4200")
        const denied = yield* preflight("https://evil.example")
        assert.isUndefined(denied.headers["access-control-allow-origin"])
      }))

    it.effect("/docs serves Swagger UI under a relaxed CSP, /openapi.json the spec", () =>
      Effect.gen(function*() {
        const docs = yield* HttpClient.get("/docs")
        assert.strictEqual(docs.status, 200)
        assert.match(docs.headers["content-security-policy"] ?? "", /script-src 'self' 'unsafe-inline'/)
        const spec = yield* send(HttpClientRequest.get("/openapi.json"))
        assert.strictEqual(spec.body.openapi, "3.1.0")
        assert.property(spec.body.paths, "/echo/{id}")
      }))
  })
})
