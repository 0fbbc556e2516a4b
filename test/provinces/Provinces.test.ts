/**
 * `/provinces` through the real routes, on a cloned database with the seeded
 * provinces and tax rules.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql/SqlClient"
import { send } from "../utils/Http.ts"
import { TestDatabase } from "../utils/TestDatabase.ts"
import { TestApp, TestRedis } from "../utils/TestInfra.ts"

const get = (path: string) => send(HttpClientRequest.get(path))

/** API.md, "Provinces": the combined rate of each. */
const combined: Record<string, string> = {
  AB: "0.05", BC: "0.12", MB: "0.12", NB: "0.15", NL: "0.15", NS: "0.15", NT: "0.05",
  NU: "0.05", ON: "0.13", PE: "0.15", QC: "0.14975", SK: "0.11", YT: "0.05"
}

describe("provinces", () => {
  it.layer(TestApp.pipe(Layer.provideMerge(TestDatabase()), Layer.provide(TestRedis())), { timeout: "60 seconds", excludeTestServices: true })(
    "routes",
    (it) => {
      it.effect("lists the 13 provinces and territories by code with the rates of API.md", () =>
        Effect.gen(function*() {
          const response = yield* get("/provinces")
          assert.strictEqual(response.status, 200)
          assert.deepStrictEqual(response.body.map((p: { code: string }) => p.code), Object.keys(combined))
          for (const province of response.body) {
            assert.strictEqual(province.tax.total, combined[province.code], province.code)
          }
          const ontario = response.body.find((p: { code: string }) => p.code === "ON")
          assert.deepStrictEqual(ontario, { code: "ON", name: "Ontario", tax: { gst: "0", pst: "0", hst: "0.13", total: "0.13" } })
        }))

      it.effect("finds one by code in either case; unknown codes are 404, malformed ones 400", () =>
        Effect.gen(function*() {
          const quebec = yield* get("/provinces/qc")
          assert.strictEqual(quebec.status, 200)
          assert.deepStrictEqual(quebec.body.tax, { gst: "0.05", pst: "0.09975", hst: "0", total: "0.14975" })
          assert.deepStrictEqual((yield* get("/provinces/QC")).body, quebec.body)
          const unknown = yield* get("/provinces/zz")
          assert.deepStrictEqual([unknown.status, unknown.body._tag], [404, "NotFound"])
          assert.match(unknown.body.message, /ZZ/)
          const malformed = yield* get("/provinces/ONT")
          assert.deepStrictEqual([malformed.status, malformed.body._tag, malformed.body.in], [400, "HttpApiDecodeError", "path"])
        }))

      it.effect("shows the rule in force today: a later rule applies once its date has come", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient
          yield* sql`INSERT INTO tax_rules (province_code, effective_from, hst) VALUES
                     ('NS', current_date + 30, 0.16), ('NB', current_date - 1, 0.14)`
          assert.strictEqual((yield* get("/provinces/NS")).body.tax.total, "0.15", "a future rule is not yet in force")
          assert.strictEqual((yield* get("/provinces/NB")).body.tax.total, "0.14", "the newest rule in force wins")
        }))
    }
  )
})
