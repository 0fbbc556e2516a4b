// @effect-diagnostics processEnv:off
/**
 * The stack's own ceilings for `npm run bench:http`: a bare Effect HttpApi
 * with one route, `GET /services/:id`, answering either
 * - `constant`: a fixed JSON document (a real service view, so the same size), or
 * - `select`: one `SELECT` of the service row by primary key through `@effect/sql-pg`.
 * Usage: `node bench/http/reference.ts constant|select` with `PORT`, and
 * `BENCH_BODY_FILE` (constant) or `DATABASE_URL` (select).
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Redacted, Schema } from "effect"
import { HttpRouter } from "effect/http"
import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiError, HttpApiGroup } from "effect/http-api"
import { SqlClient } from "effect/sql/SqlClient"
import * as Fs from "node:fs"
import { createServer } from "node:http"

const mode = process.argv[2]
const port = Number(process.env.PORT ?? 4000)

class Reference extends HttpApi.make("reference").add(
  HttpApiGroup.make("services").add(
    HttpApiEndpoint.get("get", "/services/:id", {
      params: { id: Schema.String },
      success: Schema.Unknown,
      error: HttpApiError.NotFound
    })
  )
) {}

const ServerLive = NodeHttpServer.layer(createServer, { port })

const constant = () => {
  const body = Schema.decodeUnknownSync(Schema.fromJsonString(Schema.Unknown))(Fs.readFileSync(process.env.BENCH_BODY_FILE!, "utf8"))
  const handlers = HttpApiBuilder.group(Reference, "services", (handlers) => handlers.handle("get", () => Effect.succeed(body)))
  return HttpRouter.serve(HttpApiBuilder.layer(Reference).pipe(Layer.provide(handlers)), { disableLogger: true }).pipe(
    Layer.provide(ServerLive)
  )
}

const select = () => {
  const handlers = HttpApiBuilder.group(Reference, "services", Effect.fn(function*(handlers) {
    const sql = yield* SqlClient
    return handlers.handle("get", ({ params }) =>
      sql`SELECT id, provider_id, type, title, description, terms, hourly_rate::text AS hourly_rate,
                 daily_rate::text AS daily_rate, is_featured, status, created_at::text AS created_at, updated_at::text AS updated_at
          FROM services WHERE id = ${params.id}`.pipe(
        Effect.orDie,
        Effect.flatMap((rows) => rows.length === 0 ? Effect.fail(new HttpApiError.NotFound()) : Effect.succeed(rows[0]))
      ))
  }))
  return HttpRouter.serve(HttpApiBuilder.layer(Reference).pipe(Layer.provide(handlers)), { disableLogger: true }).pipe(
    Layer.provide(ServerLive),
    Layer.provide(PgClient.layer({ url: Redacted.make(process.env.DATABASE_URL!), maxConnections: 20 }))
  )
}

NodeRuntime.runMain(Layer.launch(mode === "select" ? select() : constant()))
