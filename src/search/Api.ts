import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { BadRequest } from "../domain/Errors.ts"
import { Amount } from "../domain/Money.ts"
import { BooleanParam, Page, PageQuery } from "../domain/Page.ts"
import { City, ProvinceCode } from "../domain/User.ts"
import { CategoryId, ItemView, Price } from "../items/Api.ts"
import { ServiceType, ServiceView } from "../listings/Api.ts"
import { PublicUserView } from "../users/Api.ts"
import { Timestamp } from "../listings/AvailabilityApi.ts"

/** A search query as typed: trimmed, 1–200 characters (a parameter of `websearch_to_tsquery`, never spliced). */
const SearchText = Schema.Trim.check(Schema.isMinLength(1), Schema.isMaxLength(200))

export const SuggestionType = Schema.Literals(["services", "items", "providers"])

export const ServiceSort = Schema.Literals(["relevance", "newest", "rate_asc", "rate_desc", "rating"])
export type ServiceSort = typeof ServiceSort.Type

export const ServiceSearch = {
  q: Schema.optional(SearchText),
  type: Schema.optional(ServiceType),
  min_rate: Schema.optional(Amount(1000)),
  max_rate: Schema.optional(Amount(1000)),
  province: Schema.optional(ProvinceCode),
  city: Schema.optional(City),
  featured: Schema.optional(BooleanParam),
  sort: Schema.optional(ServiceSort),
  ...PageQuery
}

export class SearchApi extends HttpApiGroup.make("search")
  .add(
    HttpApiEndpoint.get("services", "/search/services", {
      query: ServiceSearch,
      success: Page(ServiceView),
      error: BadRequest
    }).annotate(
      OpenApi.Description,
      "Full text over title (weighted) and description with `websearch_to_tsquery`, filters combined freely, sorts `relevance` (default with q), `newest` (default without), `rate_asc`, `rate_desc`, `rating`; keyset pages. An unknown sort is 400."
    )
,
    HttpApiEndpoint.get("available", "/search/services/available", {
      query: {
        from: Timestamp,
        to: Timestamp,
        type: Schema.optional(ServiceType),
        province: Schema.optional(ProvinceCode),
        city: Schema.optional(City),
        ...PageQuery
      },
      success: Page(ServiceView),
      error: BadRequest
    }).annotate(
      OpenApi.Description,
      "Who can do this window: active services whose provider has a slot covering [from, to) and no pending or accepted booking overlapping it; newest first, keyset pages."
    )
,
    HttpApiEndpoint.get("items", "/search/items", {
      query: {
        q: Schema.optional(SearchText),
        category_id: Schema.optional(CategoryId),
        min_price: Schema.optional(Price),
        max_price: Schema.optional(Price),
        province: Schema.optional(ProvinceCode),
        in_stock: Schema.optional(BooleanParam),
        sort: Schema.optional(Schema.Literals(["relevance", "newest", "price_asc", "price_desc"])),
        ...PageQuery
      },
      success: Page(ItemView),
      error: BadRequest
    }).annotate(OpenApi.Description, "Full text over item name (weighted) and description; sorts `relevance` (default with q), `newest`, `price_asc`, `price_desc`; keyset pages."),
    HttpApiEndpoint.get("providers", "/search/providers", {
      query: {
        q: Schema.optional(SearchText),
        province: Schema.optional(ProvinceCode),
        city: Schema.optional(City),
        service_type: Schema.optional(ServiceType),
        min_rating: Schema.optional(Schema.NumberFromString.check(Schema.isBetween({ minimum: 1, maximum: 5 }))),
        ...PageQuery
      },
      success: Page(PublicUserView),
      error: BadRequest
    }).annotate(OpenApi.Description, "Active providers whose name contains `q` or who offer a service matching it; best rated first, unrated last; keyset pages."),
    HttpApiEndpoint.get("suggestions", "/search/suggestions", {
      query: {
        q: Schema.Trim.check(Schema.isMinLength(2, { message: "at least 2 characters" }), Schema.isMaxLength(100)),
        type: Schema.optional(SuggestionType),
        limit: Schema.optional(Schema.NumberFromString.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: 20 })))
      },
      success: Schema.Struct({
        query: Schema.String,
        suggestions: Schema.Array(Schema.Struct({ text: Schema.String, type: SuggestionType, id: Schema.String }))
      })
    }).annotate(OpenApi.Description, "Service titles, item names and provider names starting with `q` (case-insensitive), alphabetically; `limit` 1–20, default 10.")
  )
  .annotate(OpenApi.Title, "Search")
{}
