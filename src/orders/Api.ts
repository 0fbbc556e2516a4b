import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { BadRequest, Forbidden, IdempotencyKeyReused, InvalidTransition, NotFound } from "../domain/Errors.ts"
import { Page, PageQuery } from "../domain/Page.ts"
import { City, PostalCode, ProvinceCode } from "../domain/User.ts"
import { IdempotencyHeaders } from "../infra/Idempotency.ts"
import { ItemId } from "../items/Api.ts"
import { Authentication } from "../users/Authentication.ts"

export const OrderId = Schema.String.check(Schema.isUUID()).pipe(Schema.brand("OrderId"))
export type OrderId = typeof OrderId.Type

export const OrderStatus = Schema.Literals(["pending", "paid", "shipped", "delivered", "canceled", "refunded"])
export type OrderStatus = typeof OrderStatus.Type

const Line = Schema.Trim.pipe(Schema.check(
  Schema.isMinLength(1, { message: "not empty" }),
  Schema.isMaxLength(200, { message: "at most 200 characters" })
))

export const ShippingAddress = Schema.Struct({
  line1: Line,
  line2: Schema.optional(Line),
  city: City,
  province_code: ProvinceCode,
  postal_code: PostalCode
})
export type ShippingAddress = typeof ShippingAddress.Type

export const NewOrder = Schema.Struct({
  items: Schema.Array(Schema.Struct({
    item_id: ItemId,
    quantity: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1000 }))
  })).check(
    Schema.isMinLength(1, { message: "at least one item" }),
    Schema.isMaxLength(100, { message: "at most 100 lines" }),
    Schema.makeFilter((lines) =>
      new Set(lines.map((line) => line.item_id)).size === lines.length || "each item once (add up its quantity)"
    )
  ),
  shipping_address: ShippingAddress
})
export type NewOrder = typeof NewOrder.Type

export const OrderView = Schema.Struct({
  id: Schema.String,
  client_id: Schema.String,
  status: OrderStatus,
  items: Schema.Array(Schema.Struct({
    item_id: Schema.String,
    name: Schema.String,
    quantity: Schema.Number,
    unit_price: Schema.String,
    line_total: Schema.String
  })),
  subtotal: Schema.String,
  tax_amount: Schema.String,
  platform_fee: Schema.String,
  total_amount: Schema.String,
  currency: Schema.String,
  shipping_address: Schema.Struct({
    line1: Schema.String,
    line2: Schema.optional(Schema.String),
    city: Schema.String,
    province_code: Schema.String,
    postal_code: Schema.String
  }),
  shipments: Schema.Array(Schema.Struct({
    id: Schema.String,
    seller_id: Schema.String,
    carrier: Schema.String,
    tracking_number: Schema.String,
    shipped_at: Schema.String,
    delivered_at: Schema.NullOr(Schema.String)
  })),
  created_at: Schema.String,
  updated_at: Schema.String
})
export type OrderView = typeof OrderView.Type

export class InsufficientStock extends Schema.TaggedError<InsufficientStock>()("InsufficientStock", {
  message: Schema.String,
  item_id: Schema.String,
  available: Schema.Number
}, { httpApiStatus: 409 }) {}

const byId = { params: { id: OrderId } }
const Tracking = Schema.Trim.pipe(Schema.check(
  Schema.isMinLength(1, { message: "not empty" }),
  Schema.isMaxLength(100, { message: "at most 100 characters" })
))

export class OrdersApi extends HttpApiGroup.make("orders")
  .add(
    HttpApiEndpoint.post("create", "/orders", {
      headers: IdempotencyHeaders,
      payload: NewOrder,
      success: OrderView.pipe(HttpApiSchema.status(201)),
      error: [Forbidden, NotFound, InsufficientStock, IdempotencyKeyReused]
    }).annotate(
      OpenApi.Description,
      "Clients only. Prices come from the items; tax from the shipping province's rate (half-up to the cent); the " +
        "platform fee is 5 % of the subtotal. Stock is reserved line by line in item order by conditional updates in " +
        "one transaction: a short line → 409 `InsufficientStock` (with `item_id` and `available`) and nothing is " +
        "reserved. `Idempotency-Key` replays the first response."
    ),
    HttpApiEndpoint.get("list", "/orders", {
      query: { status: Schema.optional(OrderStatus), ...PageQuery },
      success: Page(OrderView),
      error: BadRequest
    }).annotate(OpenApi.Description, "The caller's orders, newest first."),
    HttpApiEndpoint.get("get", "/orders/:id", {
      ...byId,
      success: OrderView,
      error: NotFound
    }).annotate(OpenApi.Description, "The client, a seller of one of its items, or an admin; anyone else 404."),
    HttpApiEndpoint.post("cancel", "/orders/:id/cancel", {
      ...byId,
      success: OrderView,
      error: [Forbidden, NotFound, InvalidTransition]
    }).annotate(
      OpenApi.Description,
      "The client: pending → canceled, or paid → refunded (the payment is refunded in full); the stock comes back, exactly once."
    ),
    HttpApiEndpoint.post("ship", "/orders/:id/ship", {
      ...byId,
      payload: Schema.Struct({ carrier: Tracking, tracking_number: Tracking }),
      success: OrderView,
      error: [Forbidden, NotFound, InvalidTransition]
    }).annotate(OpenApi.Description, "A seller of the order: paid → shipped, with the seller's shipment."),
    HttpApiEndpoint.post("deliver", "/orders/:id/deliver", {
      ...byId,
      success: OrderView,
      error: [Forbidden, NotFound, InvalidTransition]
    }).annotate(OpenApi.Description, "A seller or an admin: shipped → delivered.")
  )
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Orders")
{}
