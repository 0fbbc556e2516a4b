/**
 * Handmade items and their categories: admins curate categories, providers
 * sell items (stock, price, tags), everyone reads. Orders and stock
 * reservation are the transactional core's.
 */
import { Context, Effect, Layer, Option } from "effect"
import { BadRequest, Forbidden, NotFound } from "../domain/Errors.ts"
import { keysetPage } from "../domain/Page.ts"
import type { UserId } from "../domain/User.ts"
import { Transactions } from "../infra/Sql.ts"
import type { Caller } from "../users/Authentication.ts"
import { type CategoryId, CategoryNameTaken, type ItemChanges, type ItemId, type ItemView, type NewItem, UnknownCategory } from "./Api.ts"
import { type CategoryRow, type ItemRow, ItemsRepo } from "./ItemsRepo.ts"

const categoryView = (row: CategoryRow) => ({
  id: row.id,
  name: row.name,
  description: row.description,
  created_at: row.createdAt.toISOString()
})

const itemView = (row: ItemRow): ItemView => ({
  id: row.id,
  provider_id: row.providerId,
  category_id: row.categoryId,
  name: row.name,
  description: row.description,
  price: row.price,
  inventory_quantity: row.inventoryQuantity,
  tags: row.tags,
  image_file_ids: row.imageFileIds,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString()
})

/** Tags once each, whatever their case (the first spelling wins). */
const distinctTags = (tags: ReadonlyArray<string>) => {
  const seen = new Set<string>()
  return tags.filter((tag) => !seen.has(tag.toLowerCase()) && seen.add(tag.toLowerCase()) !== undefined)
}


export class Items extends Context.Service<Items>()("maplehustle/items/Items", {
  make: Effect.gen(function*() {
    const repo = yield* ItemsRepo
    const tx = yield* Transactions
    const notFound = (id: ItemId) => new NotFound({ message: `No item ${id}` })

    const createCategory = Effect.fn("Items.createCategory")(function*(caller: Caller, name: string, description: string | undefined) {
      if (caller.role !== "admin") return yield* new Forbidden({ message: "Only admins manage categories" })
      const row = yield* repo.insertCategory(name, description ?? null)
      if (Option.isNone(row)) return yield* new CategoryNameTaken({ message: `A category is already named ${name}` })
      return categoryView(row.value)
    })

    const listCategories = Effect.fn("Items.listCategories")(function*() {
      return (yield* repo.listCategories()).map(categoryView)
    })

    const requireCategory = (id: CategoryId | null | undefined) =>
      id === null || id === undefined
        ? Effect.void
        : Effect.flatMap(repo.categoryExists(id), (exists) => exists ? Effect.void : Effect.fail(new UnknownCategory({ message: `No category ${id}` })))

    const get = Effect.fn("Items.get")(function*(id: ItemId) {
      const row = yield* repo.findById(id)
      if (Option.isNone(row)) return yield* notFound(id)
      return itemView(row.value)
    })

    const create = Effect.fn("Items.create")(function*(caller: Caller, input: NewItem) {
      if (caller.role !== "provider") return yield* new Forbidden({ message: "Only providers sell items" })
      yield* requireCategory(input.category_id)
      const id = yield* tx.withTransaction(repo.insert(caller.id, {
        categoryId: input.category_id ?? null,
        name: input.name,
        description: input.description ?? null,
        price: input.price,
        inventoryQuantity: input.inventory_quantity
      }, distinctTags(input.tags ?? [])))
      return yield* Effect.orDie(get(id))
    })

    const owned = (caller: Caller, id: ItemId) =>
      Effect.gen(function*() {
        const row = yield* repo.findById(id)
        if (Option.isNone(row)) return yield* notFound(id)
        if (row.value.providerId !== caller.id) return yield* new Forbidden({ message: "Only the provider who sells this item may change it" })
      })

    const update = Effect.fn("Items.update")(function*(caller: Caller, id: ItemId, changes: ItemChanges) {
      const fields = {
        categoryId: changes.category_id,
        name: changes.name,
        description: changes.description,
        price: changes.price,
        inventoryQuantity: changes.inventory_quantity
      }
      if (Object.values(fields).every((value) => value === undefined) && changes.tags === undefined) {
        return yield* new BadRequest({ message: "Provide at least one field to change" })
      }
      yield* owned(caller, id)
      yield* requireCategory(changes.category_id)
      const tags = changes.tags === undefined ? undefined : distinctTags(changes.tags)
      if (!(yield* tx.withTransaction(repo.update(id, fields, tags)))) return yield* notFound(id)
      return yield* get(id)
    })

    const remove = Effect.fn("Items.remove")(function*(caller: Caller, id: ItemId) {
      yield* owned(caller, id)
      if (!(yield* repo.softDelete(id))) return yield* notFound(id)
    })

    const list = Effect.fn("Items.list")(function*(query: {
      readonly category_id?: CategoryId | undefined
      readonly provider_id?: UserId | undefined
      readonly limit?: number | undefined
      readonly cursor?: string | undefined
    }) {
      return yield* keysetPage(
        query,
        (after, limit) => repo.list({ categoryId: query.category_id, providerId: query.provider_id, after, limit }),
        itemView,
        (row) => [row.createdAtKey, row.id]
      )
    })

    /** `GET /search/items`: relevance by default with a query, newest without. */
    const search = Effect.fn("Items.search")(function*(query: {
      readonly q?: string | undefined
      readonly category_id?: CategoryId | undefined
      readonly min_price?: string | undefined
      readonly max_price?: string | undefined
      readonly province?: string | undefined
      readonly in_stock?: boolean | undefined
      readonly sort?: "relevance" | "newest" | "price_asc" | "price_desc" | undefined
      readonly limit?: number | undefined
      readonly cursor?: string | undefined
    }) {
      const requested = query.sort ?? (query.q === undefined ? "newest" : "relevance")
      return yield* keysetPage(query, (after, limit) => repo.search({
        q: query.q,
        categoryId: query.category_id,
        minPrice: query.min_price,
        maxPrice: query.max_price,
        province: query.province,
        inStock: query.in_stock,
        sort: requested === "relevance" && query.q === undefined ? "newest" : requested,
        after,
        limit
      }), itemView, (row) => [row.sortKey, row.id])
    })

    return { createCategory, listCategories, get, create, update, remove, list, search }
  })
}) {
  static readonly layerNoDeps = Layer.effect(this, this.make)
  static readonly layer = this.layerNoDeps.pipe(Layer.provide([ItemsRepo.layer, Transactions.layer]))
}
