/**
 * OpenTelemetry export over OTLP/HTTP (JSON), using Effect's own exporters.
 * Off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set; then traces, metrics and
 * logs go to `<endpoint>/v1/{traces,metrics,logs}`, as the OTel spec defaults.
 */
import { Config, Effect, Layer, Option } from "effect"
import { FetchHttpClient } from "effect/http"
import { Otlp } from "effect/observability"
import pkg from "../../package.json" with { type: "json" }

const serviceName = Config.String("OTEL_SERVICE_NAME").pipe(Config.withDefault("maplehustle"))

export const TelemetryLive = Layer.unwrap(Effect.gen(function*() {
  const endpoint = yield* Config.option(Config.String("OTEL_EXPORTER_OTLP_ENDPOINT"))
  if (Option.isNone(endpoint)) return Layer.empty
  const name = yield* serviceName
  yield* Effect.logInfo(`telemetry: exporting OTLP to ${endpoint.value}`)
  return Otlp.layerJson({
    baseUrl: endpoint.value,
    resource: { serviceName: name, serviceVersion: pkg.version }
  }).pipe(Layer.provide(FetchHttpClient.layer))
}))
