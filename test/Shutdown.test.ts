/**
 * Graceful shutdown of the HTTP server as `main.ts` builds it: when its scope
 * closes (SIGTERM), new connections are refused, requests in flight finish,
 * and only then does the close complete.
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Layer, Schedule, Schema, Scope } from "effect"
import { HttpRouter } from "effect/http"
import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup } from "effect/http-api"
import { serverOn } from "../src/Http.ts"
import { HttpEdgeLive } from "../src/infra/HttpEdge.ts"
import { freePort } from "./utils/ServiceProcess.ts"

class SlowGroup extends HttpApiGroup.make("slow").add(HttpApiEndpoint.get("slow", "/slow", { success: Schema.String })) {}
class SlowApi extends HttpApi.make("slow").add(SlowGroup) {}

describe("graceful shutdown", () => {
  it.live("refuses new connections and lets requests in flight finish", () =>
    Effect.gen(function*() {
      const entered = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const handlers = HttpApiBuilder.group(SlowApi, "slow", (h) =>
        h.handle("slow", () => Deferred.succeed(entered, undefined).pipe(Effect.andThen(Deferred.await(release)), Effect.as("done"))))
      const port = yield* Effect.promise(freePort)
      const app = HttpRouter.serve(
        Layer.mergeAll(HttpApiBuilder.layer(SlowApi).pipe(Layer.provide(handlers)), HttpEdgeLive),
        { disableLogger: true, disableListenLog: true }
      ).pipe(Layer.provide(serverOn(port)))

      const scope = yield* Scope.make()
      yield* Layer.buildWithScope(app, scope)
      const url = `http://127.0.0.1:${port}/slow`
      const inFlight = yield* Effect.forkChild(Effect.promise(async () => {
        const response = await fetch(url)
        return { status: response.status, body: await response.text() }
      }))
      yield* Deferred.await(entered)

      const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
      // New connections are refused once the server stops listening.
      yield* Effect.tryPromise(() => fetch(`http://127.0.0.1:${port}/health/live`)).pipe(
        Effect.flip,
        Effect.retry({ schedule: Schedule.spaced("10 millis"), times: 200 })
      )
      assert.isUndefined(closing.pollUnsafe(), "close waits for the request in flight")

      yield* Deferred.succeed(release, undefined)
      const response = yield* Fiber.join(inFlight)
      assert.deepStrictEqual(response, { status: 200, body: "\"done\"" })
      yield* Fiber.join(closing)
    }), 30_000)
})
