/**
 * The sampler (`OTEL_TRACES_SAMPLER`/`_ARG`), function spans folded into
 * their parents, and the log lines' trace ids, on a tracer and a console of
 * the test's own.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Console, Effect, Exit, Layer, Option, Schema, Tracer } from "effect"
import { foldingFunctionSpans, LoggingLive, type Sampler, samplerConfig, sampling } from "../../src/infra/Telemetry.ts"
import { recordingTracer } from "../utils/Spans.ts"

/** A tracer recording every span it makes, behind the sampler. */
const recordingBehind = (sampler: Sampler) => {
  const { spans, tracer } = recordingTracer()
  return { spans, tracer: sampling(tracer, sampler) }
}

const rootWithChild = Effect.void.pipe(Effect.withSpan("child"), Effect.withSpan("root"))

const remoteParent = (sampled: boolean) =>
  Tracer.externalSpan({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", sampled })

const sampledOf = (spans: ReadonlyArray<Tracer.NativeSpan>) => Object.fromEntries(spans.map((s) => [s.name, s.sampled]))

const configured = (env: Record<string, string>) =>
  Effect.gen(function*() {
    return yield* samplerConfig
  }).pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env))), Effect.exit)

describe("function spans", () => {
  it.effect("fold into the span above them: its children become that span's, their attributes and events go to it", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recordingTracer()
      const statement = Effect.void.pipe(Effect.withSpan("SELECT services", { kind: "client" }))
      const repo = Effect.andThen(Effect.annotateCurrentSpan("service.id", "s-1"), statement).pipe(Effect.withSpan("ServicesRepo.byId"))
      const domain = Effect.andThen(Effect.annotateCurrentSpan("caller", "u-1"), repo).pipe(Effect.withSpan("Services.get"))
      const kept = Effect.void.pipe(Effect.withSpan("cache.fill service"))
      yield* Effect.all([domain, kept]).pipe(Effect.withSpan("GET /services/{id}", { kind: "server" }), Effect.withTracer(foldingFunctionSpans(tracer)))

      assert.deepStrictEqual(spans.map((s) => s.name).sort(), ["GET /services/{id}", "SELECT services", "cache.fill service"])
      const server = spans.find((s) => s.kind === "server")!
      const child = spans.find((s) => s.kind === "client")!
      assert.strictEqual(child.parent.pipe(Option.map((p) => p.spanId), Option.getOrUndefined), server.spanId)
      assert.strictEqual(child.traceId, server.traceId)
      assert.strictEqual(server.attributes.get("service.id"), "s-1")
      assert.strictEqual(server.attributes.get("caller"), "u-1")
    }))

  it.effect("a function span is kept when it starts a trace or links to others", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recordingTracer()
      const other = Tracer.externalSpan({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", sampled: true })
      yield* Effect.void.pipe(Effect.withSpan("Cleanup.run"), Effect.withTracer(foldingFunctionSpans(tracer)))
      yield* Effect.void.pipe(
        Effect.withSpan("UsersRepo.anyById", { links: [{ span: other, attributes: {} }] }),
        Effect.withSpan("GET /users/{id}", { kind: "server" }),
        Effect.withTracer(foldingFunctionSpans(tracer))
      )
      assert.deepStrictEqual(spans.map((s) => s.name).sort(), ["Cleanup.run", "GET /users/{id}", "UsersRepo.anyById"])
    }))
})

describe("sampling", () => {
  it.effect("ratio 0, parent-based: a new trace is dropped whole; a remote sampled parent is followed", () =>
    Effect.gen(function*() {
      const dropped = recordingBehind({ parentBased: true, ratio: 0 })
      yield* rootWithChild.pipe(Effect.withTracer(dropped.tracer))
      assert.deepStrictEqual(sampledOf(dropped.spans), { root: false, child: false })

      const continued = recordingBehind({ parentBased: true, ratio: 0 })
      yield* rootWithChild.pipe(Effect.withParentSpan(remoteParent(true)), Effect.withTracer(continued.tracer))
      assert.deepStrictEqual(sampledOf(continued.spans), { root: true, child: true })

      const notSampledUpstream = recordingBehind({ parentBased: true, ratio: 1 })
      yield* rootWithChild.pipe(Effect.withParentSpan(remoteParent(false)), Effect.withTracer(notSampledUpstream.tracer))
      assert.deepStrictEqual(sampledOf(notSampledUpstream.spans), { root: false, child: false })
    }))

  it.effect("not parent-based: a remote parent's flag is ignored and the ratio decides", () =>
    Effect.gen(function*() {
      const recorded = recordingBehind({ parentBased: false, ratio: 0 })
      yield* rootWithChild.pipe(Effect.withParentSpan(remoteParent(true)), Effect.withTracer(recorded.tracer))
      assert.deepStrictEqual(sampledOf(recorded.spans), { root: false, child: false })

      const alwaysOn = recordingBehind({ parentBased: false, ratio: 1 })
      yield* rootWithChild.pipe(Effect.withParentSpan(remoteParent(false)), Effect.withTracer(alwaysOn.tracer))
      assert.deepStrictEqual(sampledOf(alwaysOn.spans), { root: true, child: true })
    }))

  it.effect("ratio 0.25 keeps about a quarter of the traces, each whole", () =>
    Effect.gen(function*() {
      const recorded = recordingBehind({ parentBased: true, ratio: 0.25 })
      yield* Effect.forEach(Array.from({ length: 4000 }), () => rootWithChild, { discard: true }).pipe(
        Effect.withTracer(recorded.tracer)
      )
      const roots = recorded.spans.filter((s) => s.name === "root")
      const kept = roots.filter((s) => s.sampled).length
      // Binomial(4000, 0.25): mean 1000, standard deviation 27; these bounds are 7 deviations out.
      assert.isAbove(kept, 810)
      assert.isBelow(kept, 1190)
      const children = recorded.spans.filter((s) => s.name === "child")
      assert.isTrue(children.every((child, i) => child.sampled === roots[i]!.sampled), "children follow their root")
    }))

  it.effect("OTEL_TRACES_SAMPLER and _ARG are read as the OpenTelemetry spec names them; bad values fail start-up", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* configured({}), Exit.succeed({ parentBased: true, ratio: 1 }))
      assert.deepStrictEqual(
        yield* configured({ OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.1" }),
        Exit.succeed({ parentBased: true, ratio: 0.1 })
      )
      assert.deepStrictEqual(yield* configured({ OTEL_TRACES_SAMPLER: "always_off" }), Exit.succeed({ parentBased: false, ratio: 0 }))
      assert.isTrue(Exit.isFailure(yield* configured({ OTEL_TRACES_SAMPLER: "sometimes" })))
      assert.isTrue(Exit.isFailure(yield* configured({ OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "2" })))
    }))
})

/** Runs `effect` with the service's logger, returning the lines it wrote. */
const linesOf = (format: "logfmt" | "json", effect: Effect.Effect<void>) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const console: Console.Console = { ...globalThis.console, log: (...args) => lines.push(args.join(" ")) }
    yield* effect.pipe(
      Effect.provideService(Console.Console, console),
      Effect.provide(LoggingLive.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ LOG_FORMAT: format })))))
    )
    return lines
  })

const spanIds = Effect.map(Effect.currentSpan, (span) => ({ trace_id: span.traceId, span_id: span.spanId }))

describe("log lines", () => {
  it.effect("carry the trace and span ids of the span they were written in, in logfmt and in JSON", () =>
    Effect.gen(function*() {
      let ids = { trace_id: "", span_id: "" }
      const inSpan = Effect.gen(function*() {
        ids = yield* Effect.orDie(spanIds)
        yield* Effect.logInfo("booking accepted")
      }).pipe(Effect.withSpan("accept"))

      const [logfmt] = yield* linesOf("logfmt", inSpan)
      assert.match(logfmt!, /level=INFO .*message="booking accepted"/)
      assert.include(logfmt!, `trace_id=${ids.trace_id} span_id=${ids.span_id}`)

      const [json] = yield* linesOf("json", inSpan)
      const entry = Schema.decodeUnknownSync(Schema.fromJsonString(Schema.Record(Schema.String, Schema.Unknown)))(json!)
      assert.deepInclude(entry, { level: "INFO", ...ids })

      const [outside] = yield* linesOf("logfmt", Effect.logInfo("started"))
      assert.notInclude(outside!, "trace_id=")
    }))
})
