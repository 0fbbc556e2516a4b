import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { NotFound } from "../domain/Errors.ts"

/** A rate as a decimal string, e.g. `"0.13"` or `"0.14975"`. */
const Rate = Schema.String.check(Schema.isPattern(/^\d+(\.\d+)?$/))

export const ProvinceView = Schema.Struct({
  code: Schema.String,
  name: Schema.String,
  tax: Schema.Struct({ gst: Rate, pst: Rate, hst: Rate, total: Rate })
})
export type ProvinceView = typeof ProvinceView.Type

/** Two letters, either case: `on` and `ON` are Ontario. */
export const ProvinceCodeParam = Schema.String.check(
  Schema.isPattern(/^[A-Za-z]{2}$/, { message: "a province code is two letters, e.g. ON" })
)

export class ProvincesApi extends HttpApiGroup.make("provinces")
  .add(
    HttpApiEndpoint.get("list", "/provinces", {
      success: Schema.Array(ProvinceView)
    }).annotate(OpenApi.Description, "The 13 provinces and territories with the sales-tax rates in force today."),
    HttpApiEndpoint.get("get", "/provinces/:code", {
      params: { code: ProvinceCodeParam },
      success: ProvinceView,
      error: NotFound
    }).annotate(OpenApi.Description, "One province by its code, in either case; 404 for a code that names none.")
  )
  .annotate(OpenApi.Title, "Provinces")
{}
