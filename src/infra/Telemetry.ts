/**
 * OpenTelemetry export over OTLP/HTTP (JSON), using Effect's own exporters,
 * and the service's log lines, which carry the trace and span ids.
 *
 * Export is off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set; then traces,
 * metrics and logs go to `<endpoint>/v1/{traces,metrics,logs}`, as the OTel
 * spec defaults. The standard variables are honoured:
 * - `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` (default
 *   `parentbased_always_on`; `parentbased_traceidratio` with `0.1` keeps a
 *   tenth of the traces, whole, and follows an incoming `traceparent`'s flag);
 * - `OTEL_SERVICE_NAME`, `OTEL_BSP_SCHEDULE_DELAY` (span batches, ms),
 *   `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` (spans per batch), `OTEL_METRIC_EXPORT_INTERVAL`
 *   and `OTEL_BLRP_SCHEDULE_DELAY` (logs, ms).
 */
import { Config, Console, Context, Effect, type Exit, Layer, Logger, Option, Schema, Tracer } from "effect"
import { FetchHttpClient } from "effect/http"
import { OtlpExporter, OtlpLogger, OtlpMetrics, OtlpSerialization, OtlpTracer } from "effect/observability"
import pkg from "../../package.json" with { type: "json" }
import * as Settings from "./Settings.ts"

/**
 * A sampling decision for spans that start a trace in this process: `ratio`
 * of them are kept. `parentBased`: a span continuing a remote trace follows
 * that trace's sampled flag; otherwise it is decided afresh like a root. A
 * span whose parent is local always follows its parent, so a trace is kept
 * or dropped whole (as `traceidratio` decides the same for one trace id).
 */
export interface Sampler {
  readonly parentBased: boolean
  readonly ratio: number
}

const samplers = [
  "always_on",
  "always_off",
  "traceidratio",
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio"
] as const

export const samplerConfig: Config.Config<Sampler> = Config.all({
  name: Config.schema(Schema.Literals(samplers), "OTEL_TRACES_SAMPLER").pipe(
    Config.withDefault("parentbased_always_on" as const)
  ),
  arg: Config.schema(
    Schema.NumberFromString.check(Schema.isBetween({ minimum: 0, maximum: 1 })),
    "OTEL_TRACES_SAMPLER_ARG"
  ).pipe(Config.withDefault(1))
}).pipe(Config.map(({ arg, name }) => ({
  parentBased: name.startsWith("parentbased_"),
  ratio: name.endsWith("always_on") ? 1 : name.endsWith("always_off") ? 0 : arg
})))

/** `tracer`, with the sampler's decision for the spans that start a trace here. */
export const sampling = (tracer: Tracer.Tracer, sampler: Sampler): Tracer.Tracer =>
  Tracer.make({
    span(options) {
      const parent = options.parent
      const local = Option.isSome(parent) && parent.value._tag === "Span"
      const follows = local || (sampler.parentBased && Option.isSome(parent))
      // Not following a remote parent means ignoring its flag, which Effect has already copied into `sampled`.
      const remote = Option.isSome(parent) && !local
      const sampled = follows ? options.sampled : (remote || options.sampled) && Math.random() < sampler.ratio
      return tracer.span(sampled === options.sampled ? options : { ...options, sampled })
    },
    ...(tracer.context === undefined ? {} : { context: tracer.context })
  })

/**
 * A function's span (`Effect.fn("Service.method")`, STYLE: every public method
 * is one), named `Type.method`, internal, with a local parent and no links.
 * Spans of other kinds, or named otherwise (`cache.fill …`, `sql.transaction`,
 * `job …`), are never folded.
 */
const functionSpanName = /^[A-Z][A-Za-z0-9]*\.[a-z][A-Za-z0-9]*$/

/**
 * A span folded into the nearest real span above it: it takes that span's ids,
 * so its children become that span's children, and hands it its attributes,
 * events and links. Nothing of its own is exported, not even a failure it
 * ends with: the span above records its own outcome, and a failure that was
 * recovered from leaves no trace.
 */
class FoldedSpan implements Tracer.Span {
  readonly _tag = "Span"
  readonly kind = "internal"
  readonly name: string
  readonly into: Tracer.Span
  readonly parent: Option.Option<Tracer.AnySpan>
  readonly annotations: Context.Context<never>
  readonly links: ReadonlyArray<Tracer.SpanLink> = []
  status: Tracer.SpanStatus
  constructor(options: Parameters<Tracer.Tracer["span"]>[0], into: Tracer.Span) {
    this.name = options.name
    this.into = into
    this.parent = options.parent
    this.annotations = options.annotations
    this.status = { _tag: "Started", startTime: options.startTime }
  }
  get spanId() {
    return this.into.spanId
  }
  get traceId() {
    return this.into.traceId
  }
  get sampled() {
    return this.into.sampled
  }
  get attributes() {
    return this.into.attributes
  }
  end(endTime: bigint, exit: Exit.Exit<unknown, unknown>) {
    this.status = { _tag: "Ended", startTime: this.status.startTime, endTime, exit }
  }
  attribute(key: string, value: unknown) {
    this.into.attribute(key, value)
  }
  event(name: string, startTime: bigint, attributes?: Record<string, unknown>) {
    this.into.event(name, startTime, attributes)
  }
  addLinks(links: ReadonlyArray<Tracer.SpanLink>) {
    this.into.addLinks(links)
  }
}

/**
 * `tracer`, with function spans folded into their parents: a trace keeps the
 * request, its statements, cache fills, transactions and jobs, and each
 * function's annotations and events land on the span above it. Every span
 * exported costs the request about 30 µs of the exporter's work, and more of
 * the server's CPU under load (`docs/benchmarks/tracing.md`), and
 * a function span says little its parent and children do not.
 * `TRACE_FUNCTION_SPANS=true` exports them too, for a closer look.
 */
export const foldingFunctionSpans = (tracer: Tracer.Tracer): Tracer.Tracer =>
  Tracer.make({
    span(options) {
      const parent = options.parent
      if (
        options.kind !== "internal" || options.links.length > 0 || Option.isNone(parent) ||
        parent.value._tag !== "Span" || !functionSpanName.test(options.name)
      ) {
        return tracer.span(options)
      }
      const into = parent.value instanceof FoldedSpan ? parent.value.into : parent.value
      return new FoldedSpan(options, into)
    },
    ...(tracer.context === undefined ? {} : { context: tracer.context })
  })

const logFormat = Config.schema(Schema.Literals(["logfmt", "json"]), "LOG_FORMAT").pipe(Config.withDefault("logfmt" as const))

const encodeLine = Schema.encodeSync(Schema.fromJsonString(Schema.Unknown))

/** The ids of the span a log line was written in, if any. */
const traceIds = (fiber: Logger.Options<unknown>["fiber"]) => {
  const span = Context.getOption(fiber.context, Tracer.ParentSpan)
  return Option.isSome(span) ? { trace_id: span.value.traceId, span_id: span.value.spanId } : undefined
}

/**
 * One line per log entry on stdout, as logfmt (the default) or JSON
 * (`LOG_FORMAT=json`, for log shippers), with `trace_id` and `span_id` when
 * the entry was written inside a span, so a log line leads to its trace.
 */
const consoleLogger = Effect.map(logFormat, (format) =>
  Logger.make((options) => {
    const ids = traceIds(options.fiber)
    const console = options.fiber.getRef(Console.Console)
    if (format === "json") {
      const entry = Logger.formatStructured.log(options)
      console.log(encodeLine(ids === undefined ? entry : { ...entry, ...ids }))
    } else {
      const line = Logger.formatLogFmt.log(options)
      console.log(ids === undefined ? line : `${line} trace_id=${ids.trace_id} span_id=${ids.span_id}`)
    }
  }))

export const LoggingLive = Logger.layer([consoleLogger])

/** Where OTLP goes (`<endpoint>/v1/…`); none: no export. */
export const otlpEndpoint = Config.option(Config.String("OTEL_EXPORTER_OTLP_ENDPOINT"))

/** How often metrics are pushed over OTLP. */
export const metricExportInterval = Settings.millis("OTEL_METRIC_EXPORT_INTERVAL", 60000)

const exportSettings = Config.all({
  serviceName: Config.String("OTEL_SERVICE_NAME").pipe(Config.withDefault("maplehustle")),
  sampler: samplerConfig,
  spanDelay: Settings.millis("OTEL_BSP_SCHEDULE_DELAY", 5000),
  spanBatch: Settings.int("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", { default: 512, min: 1, max: 100_000 }),
  metricInterval: metricExportInterval,
  logDelay: Settings.millis("OTEL_BLRP_SCHEDULE_DELAY", 1000),
  functionSpans: Settings.flag("TRACE_FUNCTION_SPANS", false)
})

const exporting = (endpoint: string, settings: Config.Success<typeof exportSettings>) => {
  const resource = { serviceName: settings.serviceName, serviceVersion: pkg.version }
  const url = (signal: string) => `${endpoint.replace(/\/+$/, "")}/v1/${signal}`
  const tracer = Layer.effect(
    Tracer.Tracer,
    Effect.map(
      OtlpTracer.make({ url: url("traces"), resource, exportInterval: settings.spanDelay, maxBatchSize: settings.spanBatch }),
      (otlp) => sampling(settings.functionSpans ? otlp : foldingFunctionSpans(otlp), settings.sampler)
    )
  )
  return Layer.mergeAll(
    tracer,
    Layer.effectDiscard(OtlpMetrics.make({ url: url("metrics"), resource, exportInterval: settings.metricInterval })),
    Logger.layer([consoleLogger, OtlpLogger.make({ url: url("logs"), resource, exportInterval: settings.logDelay })])
  ).pipe(
    Layer.provideMerge(OtlpExporter.layerFlusher),
    Layer.provide([OtlpSerialization.layerJson, FetchHttpClient.layer])
  )
}

/** Logging always; OTLP export of traces, metrics and logs when an endpoint is set. */
export const TelemetryLive = Layer.unwrap(Effect.gen(function*() {
  const endpoint = yield* otlpEndpoint
  if (Option.isNone(endpoint)) return LoggingLive
  return Layer.effectDiscard(Effect.logInfo(`telemetry: exporting OTLP to ${endpoint.value}`)).pipe(
    Layer.provideMerge(exporting(endpoint.value, yield* exportSettings))
  )
}))
