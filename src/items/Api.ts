import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { BadRequest, Forbidden, NotFound } from "../domain/Errors.ts"
import { Amount } from "../domain/Money.ts"
import { Page, PageQuery } from "../domain/Page.ts"
import { UserId } from "../domain/User.ts"
import { Authentication } from "../users/Authentication.ts"

export const ItemId = Schema.String.check(Schema.isUUID()).pipe(Schema.brand("ItemId"))
export type ItemId = typeof ItemId.Type
export const CategoryId = Schema.String.check(Schema.isUUID()).pipe(Schema.brand("CategoryId"))
export type CategoryId = typeof CategoryId.Type

/** 0–100000, two decimals. */
export const Price = Amount(100_000)

const Name = Schema.Trim.pipe(Schema.check(
  Schema.isMinLength(2, { message: "at least 2 characters" }),
  Schema.isMaxLength(200, { message: "at most 200 characters" })
))
const Description = Schema.Trim.pipe(Schema.check(Schema.isMaxLength(5000, { message: "at most 5000 characters" })))
const Quantity = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 1_000_000 }))
const Tag = Schema.Trim.pipe(Schema.check(
  Schema.isMinLength(1, { message: "not empty" }),
  Schema.isMaxLength(50, { message: "at most 50 characters" })
))
const Tags = Schema.Array(Tag).check(Schema.isMaxLength(20, { message: "at most 20 tags" }))

export const CategoryView = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  description: Schema.NullOr(Schema.String),
  created_at: Schema.String
})

export const ItemView = Schema.Struct({
  id: Schema.String,
  provider_id: Schema.String,
  category_id: Schema.NullOr(Schema.String),
  name: Schema.String,
  description: Schema.NullOr(Schema.String),
  price: Schema.String,
  inventory_quantity: Schema.Number,
  tags: Schema.Array(Schema.String),
  image_file_ids: Schema.Array(Schema.String),
  created_at: Schema.String,
  updated_at: Schema.String
})
export type ItemView = typeof ItemView.Type

export const NewItem = Schema.Struct({
  category_id: Schema.optional(CategoryId),
  name: Name,
  description: Schema.optional(Description),
  price: Price,
  inventory_quantity: Quantity,
  tags: Schema.optional(Tags)
})
export type NewItem = typeof NewItem.Type

export const ItemChanges = Schema.Struct({
  category_id: Schema.optional(Schema.NullOr(CategoryId)),
  name: Schema.optional(Name),
  description: Schema.optional(Schema.NullOr(Description)),
  price: Schema.optional(Price),
  inventory_quantity: Schema.optional(Quantity),
  tags: Schema.optional(Tags)
})
export type ItemChanges = typeof ItemChanges.Type

export class CategoryNameTaken extends Schema.TaggedError<CategoryNameTaken>()("CategoryNameTaken", {
  message: Schema.String
}, { httpApiStatus: 409 }) {}

export class UnknownCategory extends Schema.TaggedError<UnknownCategory>()("UnknownCategory", {
  message: Schema.String
}, { httpApiStatus: 422 }) {}

export class ItemsApi extends HttpApiGroup.make("items")
  .add(
    HttpApiEndpoint.post("createCategory", "/items/categories", {
      payload: Schema.Struct({ name: Name.check(Schema.isMaxLength(100)), description: Schema.optional(Schema.Trim.check(Schema.isMaxLength(1000))) }),
      success: CategoryView.pipe(HttpApiSchema.status(201)),
      error: [Forbidden, CategoryNameTaken]
    }).middleware(Authentication)
      .annotate(OpenApi.Description, "Admin only; names are unique whatever their case (409)."),
    HttpApiEndpoint.get("listCategories", "/items/categories", {
      success: Schema.Array(CategoryView)
    }),
    HttpApiEndpoint.post("create", "/items", {
      payload: NewItem,
      success: ItemView.pipe(HttpApiSchema.status(201)),
      error: [Forbidden, UnknownCategory]
    }).middleware(Authentication)
      .annotate(OpenApi.Description, "Providers only. Tags are trimmed and kept once whatever their case."),
    HttpApiEndpoint.get("list", "/items", {
      query: { category_id: Schema.optional(CategoryId), provider_id: Schema.optional(UserId), ...PageQuery },
      success: Page(ItemView),
      error: BadRequest
    }).annotate(OpenApi.Description, "Items newest first, in keyset pages."),
    HttpApiEndpoint.get("get", "/items/:id", {
      params: { id: ItemId },
      success: ItemView,
      error: NotFound
    }),
    HttpApiEndpoint.patch("update", "/items/:id", {
      params: { id: ItemId },
      payload: ItemChanges,
      success: ItemView,
      error: [BadRequest, Forbidden, NotFound, UnknownCategory]
    }).middleware(Authentication)
      .annotate(OpenApi.Description, "The owning provider only; `tags` replaces the item's tags."),
    HttpApiEndpoint.delete("remove", "/items/:id", {
      params: { id: ItemId },
      success: HttpApiSchema.NoContent,
      error: [Forbidden, NotFound]
    }).middleware(Authentication)
      .annotate(OpenApi.Description, "Soft delete by the owning provider; the item then answers 404.")
  )
  .annotate(OpenApi.Title, "Items")
{}
