/**
 * What every response of the service shares, applied once around the router:
 * request ids, `traceparent`, security headers, the 1 MiB body limit, and the
 * error envelope for every failure that no endpoint encoded itself — decode
 * errors (400 naming the fields), unknown routes (404), oversized bodies (413),
 * a database that cannot be reached in time (503), and defects (500, logged
 * once with the request id; the body never carries SQL, stacks or hosts).
 * It also gives each request its `RequestScope` (statement count, lookup
 * cache) and records its duration by route template.
 */
import { ByteSize, Cause, Context, Duration, Effect, identity, Layer, Metric, Option, Schema, Tracer } from "effect"
import { HttpIncomingMessage, HttpMiddleware, HttpRouter, HttpServerRequest, HttpServerResponse, HttpTraceContext } from "effect/http"
import { IpNetwork } from "effect/net"
import { HttpApiError } from "effect/http-api"
import { isHttpServerError } from "effect/http/HttpServerError"
import { isSqlError } from "effect/sql/SqlError"
import * as Errors from "../domain/Errors.ts"
import { CurrentRequestId } from "./RequestId.ts"
import * as Metrics from "./Metrics.ts"
import * as RequestScope from "./RequestScope.ts"
import { UPLOAD_REQUEST_MAX_BYTES } from "../files/Api.ts"
import * as Settings from "./Settings.ts"
import { isConnectionLost, violation } from "./Sql.ts"

export const MAX_BODY_BYTES = 1024 * 1024

/**
 * Uploads (`POST /files`) may declare up to `UPLOAD_REQUEST_MAX_BYTES`; their
 * multipart parser holds them to it and to the per-file limits as it streams.
 */
const isUpload = (request: HttpServerRequest.HttpServerRequest) =>
  request.method === "POST" && request.url.split("?")[0] === "/files"

/** HttpApi answers a body of a type no endpoint declared with a plain-text 415; clients get the envelope. */
const withEnvelope415 = (request: HttpServerRequest.HttpServerRequest) => (response: HttpServerResponse.HttpServerResponse) => {
  if (response.status !== 415 || response.body._tag !== "Uint8Array" || response.body.contentType === "application/json") {
    return response
  }
  const declared = request.headers["content-type"] ?? null
  const allowed = isUpload(request) ? ["multipart/form-data"] : ["application/json"]
  return envelope(
    Errors.UnsupportedMediaType,
    new Errors.UnsupportedMediaType({
      message: `Unsupported Content-Type ${declared ?? "(none)"}; send ${allowed.join(" or ")}`,
      content_type: declared,
      allowed
    }),
    415
  )
}

const requestDuration = Metrics.attributed(Metrics.httpServerDuration)

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/

const securityHeaders = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "strict-origin-when-cross-origin",
  "strict-transport-security": "max-age=31536000; includeSubDomains",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'"
}
/** Swagger UI is one page with inline scripts and styles. */
const docsSecurityHeaders = {
  ...securityHeaders,
  "content-security-policy":
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
}

/**
 * 32 random hex digits. `randomUUID` draws from a buffered entropy pool;
 * `randomBytes` per request was 4 % of a request's CPU (a `getpid` and an
 * OpenSSL call each time). The fixed version and variant digits leave 122
 * random bits, plenty for a trace id.
 */
const randomHex32 = () => crypto.randomUUID().replaceAll("-", "")

/**
 * Without an exporter there is no server span, yet every response carries a
 * `traceparent` (API.md): continue the caller's trace with a fresh span id, or
 * start one, so the id still correlates the request across services and logs.
 */
const untracedTraceparent = (request: HttpServerRequest.HttpServerRequest) => {
  const parent = HttpTraceContext.fromHeaders(request.headers)
  const traceId = Option.isSome(parent) ? parent.value.traceId : randomHex32()
  return `00-${traceId}-${randomHex32().slice(16)}-00`
}

const envelope = <E extends { readonly _tag: string }>(schema: Schema.Codec<E, unknown>, error: E, status: number) =>
  HttpServerResponse.jsonUnsafe(Schema.encodeSync(schema)(error), { status })

const decodeLocation = {
  Params: "path",
  Query: "query",
  Headers: "headers",
  Payload: "body"
} as const

/** Turns HttpApi's request-decoding failure into a 400 that names each offending field. */
const decodeErrorResponse = (error: HttpApiError.HttpApiSchemaError) => {
  const location = decodeLocation[error.kind as keyof typeof decodeLocation]
  const issues = Schema.isSchemaError(error.cause) ? Errors.decodeIssues(error.cause.issue) : []
  const summary = Errors.summarizeIssues(issues)
  return envelope(
    Errors.HttpApiDecodeError,
    new Errors.HttpApiDecodeError({
      in: location ?? "body",
      message: `Invalid request ${location ?? "body"}${summary === "" ? "" : `: ${summary}`}`,
      issues
    }),
    400
  )
}

/**
 * SQLSTATEs of text Postgres cannot store: a NUL in a `text` value (22021) or
 * in a `jsonb` string (22P05). Any field or query string may carry one, so it
 * is refused here, once, as the client's error (nothing was written: the
 * statement failed, and its transaction with it).
 */
const textPostgresRefuses = new Set(["22021", "22P05"])

const isUnavailable = (u: unknown) =>
  isSqlError(u) &&
  (u.reason._tag === "ConnectionError" || u.reason._tag === "StatementTimeoutError" ||
    u.reason._tag === "LockTimeoutError" || isConnectionLost(u))

const lostConnection = (cause: Cause.Cause<unknown>) =>
  cause.reasons.some((reason) =>
    isConnectionLost(Cause.isFailReason(reason) ? reason.error : Cause.isDieReason(reason) ? reason.defect : undefined)
  )

/** Attempts after the first for a read whose connection was lost: enough for a pool whose connections all died at once. */
const LOST_READ_RETRIES = 3

/**
 * A read (GET, HEAD) whose database connection was lost mid-request runs
 * again, on another connection, up to `LOST_READ_RETRIES` times a few
 * milliseconds apart: reads are idempotent, so a terminated backend or a
 * failover costs the client latency, not an error (when every connection of
 * the pool died at once, the next one taken may be dead too). Writes are not
 * retried — whether a lost COMMIT landed is unknown — and answer 503.
 */
const retryLostReads = (request: HttpServerRequest.HttpServerRequest) =>
  <A, E, R>(app: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
    if (request.method !== "GET" && request.method !== "HEAD") return app
    const attempt = (retriesLeft: number): Effect.Effect<A, E, R> =>
      Effect.catchCause(app, (cause) =>
        retriesLeft > 0 && lostConnection(cause)
          ? Effect.andThen(Effect.sleep(Duration.millis(5 * (LOST_READ_RETRIES - retriesLeft + 1))), attempt(retriesLeft - 1))
          : Effect.failCause(cause))
    return attempt(LOST_READ_RETRIES)
  }

/** Maps a failed request to its envelope; `undefined` means "a defect": 500. */
const knownFailure = (cause: Cause.Cause<unknown>, request: HttpServerRequest.HttpServerRequest) => {
  for (const reason of cause.reasons) {
    const value = Cause.isFailReason(reason) ? reason.error : Cause.isDieReason(reason) ? reason.defect : undefined
    if (value === undefined) continue
    if (HttpApiError.HttpApiSchemaError.is(value) && value.kind in decodeLocation) {
      return decodeErrorResponse(value)
    }
    if (HttpApiError.HttpApiPayloadTooLarge.is(value)) {
      return payloadTooLarge(MAX_BODY_BYTES)
    }
    if (isHttpServerError(value)) {
      const reason = value.reason
      if (reason._tag === "RouteNotFound") {
        return envelope(
          Errors.NotFound,
          new Errors.NotFound({ message: `No route for ${request.method} ${request.url.split("?")[0]}` }),
          404
        )
      }
      if (reason._tag === "RequestParseError") {
        return reason.reason === "BodyTooLarge"
          ? payloadTooLarge(MAX_BODY_BYTES)
          : envelope(Errors.BadRequest, new Errors.BadRequest({ message: "The request body could not be read" }), 400)
      }
    }
    if (isSqlError(value) && textPostgresRefuses.has(violation(value).code ?? "")) {
      return envelope(
        Errors.BadRequest,
        new Errors.BadRequest({ message: "Text may not contain NUL (\\u0000) characters" }),
        400
      )
    }
    if (isUnavailable(value)) {
      return envelope(
        Errors.ServiceUnavailable,
        new Errors.ServiceUnavailable({ message: "The database is unavailable; try again shortly" }),
        503
      )
    }
  }
  return undefined
}

const payloadTooLarge = (limit: number) =>
  envelope(
    Errors.PayloadTooLarge,
    new Errors.PayloadTooLarge({ message: `The request body exceeds ${limit} bytes`, limit_bytes: limit }),
    413
  )

/**
 * `showStatements`: answer with `X-Db-Statements`, the statements the request
 * sent (development; the request span carries `db.statements` either way).
 */
const edge = (showStatements: boolean) => HttpRouter.middleware((app) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const incoming = request.headers["x-request-id"]
    const requestId = incoming !== undefined && requestIdPattern.test(incoming) ? incoming : crypto.randomUUID()
    const declaredLength = Number(request.headers["content-length"] ?? 0)

    const limit = isUpload(request) ? UPLOAD_REQUEST_MAX_BYTES : MAX_BODY_BYTES
    const scope = RequestScope.make()
    const started = performance.now()
    const response = declaredLength > limit
      ? payloadTooLarge(limit)
      : yield* app.pipe(
        retryLostReads(request),
        Effect.catchCause((cause) => {
          if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause)
          const known = knownFailure(cause, request)
          if (known !== undefined) return Effect.succeed(known)
          return Effect.as(
            Effect.logError("request failed", cause),
            envelope(
              Errors.InternalServerError,
              new Errors.InternalServerError({ message: "Internal server error", request_id: requestId }),
              500
            )
          )
        }),
        Effect.map(withEnvelope415(request)),
        Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(MAX_BODY_BYTES)),
        Effect.provideService(CurrentRequestId, requestId),
        Effect.provideService(RequestScope.CurrentRequestScope, scope),
        Effect.annotateLogs({ request_id: requestId })
      )

    const route = scope.route ?? "unmatched"
    yield* Metric.update(
      requestDuration(`${request.method} ${route} ${response.status}`, () => ({
        "http.request.method": request.method,
        "http.route": route,
        "http.response.status_code": String(response.status)
      })),
      (performance.now() - started) / 1000
    )
    // Only the request's own server span: without a tracer there is none, and any other span is not this request's.
    // Not `Effect.currentSpan`: without a span it fails with an error whose stack capture cost 6 % of a request.
    const parent = Option.getOrUndefined(yield* Effect.serviceOption(Tracer.ParentSpan))
    const span = parent?._tag === "Span" && parent.kind === "server" ? parent : undefined
    if (span !== undefined) {
      span.attribute("http.request_id", requestId)
      span.attribute("db.statements", scope.statements)
      if (scope.userId !== undefined) span.attribute("user.id", scope.userId)
    }
    const traceparent = span !== undefined
      ? `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`
      : untracedTraceparent(request)
    const isDocs = request.url === "/docs" || request.url.startsWith("/docs/") || request.url.startsWith("/docs?")
    return response.pipe(
      HttpServerResponse.setHeaders(isDocs ? docsSecurityHeaders : securityHeaders),
      HttpServerResponse.setHeaders({ "x-request-id": requestId, traceparent }),
      showStatements ? HttpServerResponse.setHeader("x-db-statements", String(scope.statements)) : identity
    )
  }), { global: true })

/** A proxy's address or network: `10.0.0.0/8`, `fd00::/8`, or one address (`10.0.0.7`, a /32 or /128). */
const parseNetwork = (entry: string) =>
  IpNetwork.fromString(entry.includes("/") ? entry : `${entry}/${entry.includes(":") ? 128 : 32}`)

/** `TRUSTED_PROXIES`; a bad entry fails start-up, named. */
export const TrustedProxies = Settings.listOf("TRUSTED_PROXIES", parseNetwork, "not an IP address or network")

/**
 * Behind the proxies listed in `TRUSTED_PROXIES` (comma-separated addresses
 * or networks), a request's client address is the one they forwarded
 * (`X-Forwarded-For`, walked from the right past the trusted hops, with
 * `X-Forwarded-Proto` and `-Host`), so per-address rate limits count clients,
 * not the proxy. The headers of any other peer are ignored: a client cannot
 * pick its own address. Unset, nothing is trusted.
 */
const trustedProxies = Layer.unwrap(Effect.map(TrustedProxies, (networks) =>
  networks.length === 0
    ? Layer.empty
    : HttpRouter.middleware(HttpMiddleware.xForwardedHeaders({ trustedProxies: networks }), { global: true })
))

/** CORS for the configured origins (`CORS_ORIGINS`, comma-separated). */
const cors = Layer.unwrap(Effect.map(
  Settings.list("CORS_ORIGINS", ["http://localhost:3000", "http://localhost:8080", "http://localhost:4200"]),
  (origins) =>
    HttpRouter.cors({
      allowedOrigins: origins,
      allowedMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
      allowedHeaders: ["authorization", "content-type", "idempotency-key", "x-request-id", "traceparent"],
      exposedHeaders: ["x-request-id", "traceparent", "retry-after", "idempotent-replayed", "x-db-statements"],
      maxAge: 600
    })
))

/**
 * Route-level: names the route template of the request for its metrics
 * (the global edge runs before routing and cannot see it).
 */
export const RouteTemplate = HttpRouter.middleware((app) =>
  Effect.withFiber((fiber) => {
    const scope = fiber.getRef(RequestScope.CurrentRequestScope)
    const route = Context.getOrUndefined(fiber.context, HttpRouter.RouteContext)
    if (scope !== undefined && route !== undefined) scope.route = route.route.path
    return app
  })
).layer

export const HttpEdgeLive = Layer.mergeAll(
  Layer.unwrap(Effect.map(Settings.isProduction, (production) => edge(!production))),
  cors,
  trustedProxies
)
