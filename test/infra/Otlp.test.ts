/**
 * Telemetry over the wire: the service exports OTLP/HTTP to a receiver started
 * here (a collector's stand-in), and the test reads what arrived — a request's
 * trace with its SQL and cache spans, a job's trace linked to the request that
 * enqueued it, the metrics, and the resource naming the service.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Layer, Schedule } from "effect"
import { HttpClientRequest } from "effect/http"
import pkg from "../../package.json" with { type: "json" }
import { TelemetryLive } from "../../src/infra/Telemetry.ts"
import { GaugeSampler } from "../../src/ops/MetricsHttp.ts"
import { insertService } from "../utils/fixtures.ts"
import { send, userWithToken } from "../utils/Http.ts"
import { EmailWorker } from "../utils/Jobs.ts"
import { type OtlpAttribute, type OtlpExport, otlpReceiver, smtpServer } from "../utils/LocalServers.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TestApp, TestRedis } from "../utils/TestInfra.ts"

class Receiver extends Context.Service<Receiver, { readonly url: string; readonly received: Array<OtlpExport> }>()(
  "maplehustle/test/infra/Otlp.test/Receiver"
) {
  static readonly layer = Layer.effect(Receiver, otlpReceiver)
}

/** The service's own telemetry layer, configured as an operator would, exporting to the receiver. */
const Exporting = Layer.unwrap(Receiver.use((receiver) =>
  Effect.succeed(TelemetryLive.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: "50",
    OTEL_METRIC_EXPORT_INTERVAL: "200"
  })))))
))

/** The pool and queue gauges, sampled at the push interval as `main.ts` does when metrics are pushed. */
const Sampling = Layer.unwrap(Receiver.use((receiver) =>
  Effect.succeed(GaugeSampler.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_METRIC_EXPORT_INTERVAL: "200"
  })))))
))

/** OTLP's `AnyValue`, as a plain value. */
const valueOf = (value: OtlpAttribute["value"]): unknown =>
  value.stringValue ?? value.boolValue ?? (value.intValue !== undefined ? Number(value.intValue) : value.doubleValue)
const attributesOf = (list: ReadonlyArray<OtlpAttribute> | undefined): Record<string, unknown> =>
  Object.fromEntries((list ?? []).map((a) => [a.key, valueOf(a.value)]))

const SERVER = 2
const CLIENT = 3
const PRODUCER = 4
const CONSUMER = 5

interface ExportedSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId: string | undefined
  readonly name: string
  readonly kind: number
  readonly attributes: Record<string, unknown>
  readonly events: ReadonlyArray<{ readonly name: string; readonly attributes: Record<string, unknown> }>
  readonly links: ReadonlyArray<{ readonly traceId: string; readonly spanId: string }>
  readonly resource: Record<string, unknown>
}

const spansOf = (received: ReadonlyArray<OtlpExport>): Array<ExportedSpan> =>
  received.filter((e) => e.signal === "traces").flatMap((e) =>
    (e.body.resourceSpans ?? []).flatMap((rs) =>
      rs.scopeSpans.flatMap((ss) =>
        ss.spans.map((s): ExportedSpan => ({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId === "" ? undefined : s.parentSpanId,
          name: s.name,
          kind: s.kind,
          attributes: attributesOf(s.attributes),
          events: (s.events ?? []).map((ev) => ({ name: ev.name, attributes: attributesOf(ev.attributes) })),
          links: s.links ?? [],
          resource: attributesOf(rs.resource.attributes)
        }))
      )
    )
  )

const metricNamesOf = (received: ReadonlyArray<OtlpExport>) =>
  new Set(received.filter((e) => e.signal === "metrics").flatMap((e) =>
    (e.body.resourceMetrics ?? []).flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => m.name)))
  ))

/** Waits (polling the receiver) until `find` returns something. */
const arrived = <A>(find: () => A | undefined) =>
  Effect.sync(find).pipe(
    Effect.repeat({ until: (found) => found !== undefined, schedule: Schedule.spaced("50 millis") }),
    Effect.timeout("15 seconds"),
    Effect.map((found) => found!)
  )

const withRequestId = (id: string) => HttpClientRequest.setHeader("x-request-id", id)

/** `span` and everything under it in its trace. */
const subtree = (spans: ReadonlyArray<ExportedSpan>, root: ExportedSpan): Array<ExportedSpan> => {
  const children = spans.filter((s) => s.traceId === root.traceId && s.parentSpanId === root.spanId)
  return [root, ...children.flatMap((child) => subtree(spans, child))]
}

describe("OTLP export", () => {
  it.layer(
    Sampling.pipe(
      Layer.provideMerge(TestApp),
      Layer.provideMerge(Layer.mergeAll(TestDatabase(), TestRedis())),
      Layer.provideMerge(Exporting),
      Layer.provideMerge(Receiver.layer)
    ),
    { timeout: "60 seconds", excludeTestServices: true }
  )("to a receiver", (it) => {
    it.effect("a request's trace holds its SQL spans under the cache fill; the next read is a cache hit without SQL", () =>
      Effect.gen(function*() {
        const { received } = yield* Receiver
        const provider = yield* userWithToken("provider")
        const serviceId = yield* insertService(provider.id)
        assert.strictEqual((yield* send(HttpClientRequest.get(`/services/${serviceId}`).pipe(withRequestId("otlp-miss")))).status, 200)
        assert.strictEqual((yield* send(HttpClientRequest.get(`/services/${serviceId}`).pipe(withRequestId("otlp-hit")))).status, 200)

        const serverSpan = (requestId: string) => () =>
          spansOf(received).find((s) => s.kind === SERVER && s.attributes["http.request_id"] === requestId)
        const miss = yield* arrived(serverSpan("otlp-miss"))
        assert.strictEqual(miss.name, "GET /services/{id}")
        assert.strictEqual(miss.attributes["http.response.status_code"], 200)
        assert.strictEqual(miss.resource["service.name"], "maplehustle")
        assert.strictEqual(miss.resource["service.version"], pkg.version)

        // The server span ends after its children, so once it is here the whole trace is.
        const spans = spansOf(received)
        const fill = spans.find((s) => s.traceId === miss.traceId && s.name === "cache.fill service")!
        assert.isDefined(fill, "the miss has a cache.fill span")
        assert.deepInclude(fill.attributes, { "cache.hit": false, "cache.entity": "service", "cache.tier": "redis" })
        const statement = subtree(spans, fill).find((s) => s.attributes["db.system.name"] === "postgresql")!
        assert.isDefined(statement, "the fill's database work is under it")
        assert.strictEqual(statement.kind, CLIENT)
        assert.deepInclude(statement.attributes, {
          "db.operation.name": "SELECT",
          "db.collection.name": "services",
          "db.query.summary": "SELECT services",
          "db.response.returned_rows": 1
        })
        assert.match(String(statement.attributes["db.query.text"]), /\$1/)
        assert.notInclude(String(statement.attributes["db.query.text"]), serviceId, "parameter values never exported")

        const hit = yield* arrived(serverSpan("otlp-hit"))
        // Function spans (`Services.get`) fold into the server span: a hit is that span alone, carrying the cache event.
        const hitSpans = subtree(spansOf(received), hit)
        assert.deepStrictEqual(hitSpans.map((s) => s.name), ["GET /services/{id}"], "a hit sends no SQL and fills nothing")
        const event = hit.events.find((e) => e.name === "cache.get")
        assert.deepInclude(event?.attributes, { "cache.hit": true, "cache.entity": "service", "cache.tier": "redis" })
      }))

    it.effect("a job's run is a CONSUMER span in a trace of its own, linked to the PRODUCER span of the request that enqueued it", () =>
      Effect.gen(function*() {
        const { received } = yield* Receiver
        const smtp = yield* smtpServer
        const email = `otlp-${Date.now().toString(36)}@example.ca`
        yield* Effect.gen(function*() {
          const response = yield* send(
            HttpClientRequest.post("/auth/register").pipe(
              HttpClientRequest.bodyJsonUnsafe({ email, password: "Maple-Syrup-2026", name: "Léa Roy", role: "client" }),
              withRequestId("otlp-register")
            )
          )
          assert.strictEqual(response.status, 201)
          const request = yield* arrived(() =>
            spansOf(received).find((s) => s.kind === SERVER && s.attributes["http.request_id"] === "otlp-register")
          )
          const producers = spansOf(received).filter((s) => s.traceId === request.traceId && s.kind === PRODUCER)
          assert.isNotEmpty(producers, "enqueueing is a PRODUCER span on the request's trace")
          const consumer = yield* arrived(() =>
            spansOf(received).find((s) =>
              s.kind === CONSUMER && s.links.some((l) => producers.some((p) => p.traceId === l.traceId && p.spanId === l.spanId))
            )
          )
          assert.notStrictEqual(consumer.traceId, request.traceId, "a new trace, linked rather than parented")
          const producer = producers.find((p) => consumer.links.some((l) => l.spanId === p.spanId))!
          const task = consumer.attributes["job.task"]
          assert.strictEqual(consumer.name, `job ${task}`)
          assert.include(String(producer.attributes["job.task"]).split(","), task, "the producer names the tasks it enqueued")
          assert.deepInclude(consumer.attributes, { "job.queue": "email", "job.attempt": 1, "job.outcome": "succeeded" })
        }).pipe(Effect.provide(EmailWorker(smtp.port)))
      }).pipe(Effect.scoped))

    it.effect("metrics are pushed too: HTTP, database, cache and job metrics by name", () =>
      Effect.gen(function*() {
        const { received } = yield* Receiver
        const expected = [
          "http.server.request.duration",
          "db.client.operation.duration",
          "db.client.connection.count",
          "cache.requests",
          "jobs.processed",
          "jobs.wait",
          "jobs.queue.depth"
        ]
        const missing = () => expected.filter((name) => !metricNamesOf(received).has(name))
        yield* Effect.sync(missing).pipe(
          Effect.repeat({ until: (names) => names.length === 0, schedule: Schedule.spaced("50 millis") }),
          Effect.timeout("15 seconds"),
          Effect.ignore
        )
        assert.deepStrictEqual(missing(), [], "every metric was pushed")
      }))
  })

  it.effect("function spans fold into their parent unless TRACE_FUNCTION_SPANS=true exports them", () =>
    Effect.gen(function*() {
      const lookup = Effect.fn("Services.get")(function*() {
        yield* Effect.annotateCurrentSpan("service.id", "s-1")
        yield* Effect.void.pipe(Effect.withSpan("cache.fill service"))
      })
      const exported = (functionSpans: boolean) =>
        Effect.gen(function*() {
          const receiver = yield* otlpReceiver
          yield* lookup().pipe(
            Effect.withSpan("GET /services/{id}", { kind: "server" }),
            // Closing the telemetry layer flushes its spans to the receiver.
            Effect.provide(TelemetryLive.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({
              OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
              TRACE_FUNCTION_SPANS: String(functionSpans)
            })))))
          )
          return spansOf(receiver.received)
        }).pipe(Effect.scoped)

      const folded = yield* exported(false)
      assert.deepStrictEqual(folded.map((s) => s.name).sort(), ["GET /services/{id}", "cache.fill service"])
      const server = folded.find((s) => s.kind === SERVER)!
      assert.strictEqual(folded.find((s) => s.name === "cache.fill service")!.parentSpanId, server.spanId)
      assert.strictEqual(server.attributes["service.id"], "s-1", "the function's annotation is on the span above it")

      const all = yield* exported(true)
      assert.deepStrictEqual(all.map((s) => s.name).sort(), ["GET /services/{id}", "Services.get", "cache.fill service"])
    }))
})
