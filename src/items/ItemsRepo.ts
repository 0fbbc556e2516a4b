/**
 * SQL of item categories, items and their tags. An item's tags and image ids
 * are read with it (one statement); tags are replaced as a set.
 */
import { Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as Resolvers from "../infra/Resolvers.ts"
import { keyset, olderThan } from "../infra/Sql.ts"
import type { UserId } from "../domain/User.ts"
import type { CategoryId, ItemId } from "./Api.ts"

export interface CategoryRow {
  readonly id: CategoryId
  readonly name: string
  readonly description: string | null
  readonly createdAt: Date
}

export interface ItemRow {
  readonly id: ItemId
  readonly providerId: UserId
  readonly categoryId: CategoryId | null
  readonly name: string
  readonly description: string | null
  readonly price: string
  readonly inventoryQuantity: number
  readonly tags: ReadonlyArray<string>
  readonly imageFileIds: ReadonlyArray<string>
  readonly createdAt: Date
  readonly createdAtKey: string
  readonly updatedAt: Date
}

export interface ItemFields {
  readonly categoryId?: CategoryId | null | undefined
  readonly name?: string | undefined
  readonly description?: string | null | undefined
  readonly price?: string | undefined
  readonly inventoryQuantity?: number | undefined
}

export interface ItemSearchFilter {
  readonly q?: string | undefined
  readonly categoryId?: CategoryId | undefined
  readonly minPrice?: string | undefined
  readonly maxPrice?: string | undefined
  readonly province?: string | undefined
  readonly inStock?: boolean | undefined
  readonly sort: "relevance" | "newest" | "price_asc" | "price_desc"
  readonly after: Option.Option<readonly [string, string]>
  readonly limit: number
}

export class ItemsRepo extends Context.Service<ItemsRepo>()("maplehustle/items/ItemsRepo", {
  make: Effect.gen(function*() {
    const sql = yield* SqlClient

    /** The new category, or `None` when the name is taken. */
    const insertCategory = Effect.fn("ItemsRepo.insertCategory")(function*(name: string, description: string | null) {
      const rows = yield* sql<CategoryRow>`
        INSERT INTO item_categories (name, description) VALUES (${name}, ${description})
        ON CONFLICT (name) DO NOTHING RETURNING id, name::text AS name, description, created_at`
      return Option.fromNullishOr(rows[0])
    }, Effect.orDie)

    const listCategories = Effect.fn("ItemsRepo.listCategories")(function*() {
      return yield* sql<CategoryRow>`SELECT id, name::text AS name, description, created_at FROM item_categories ORDER BY name`
    }, Effect.orDie)

    const categoryExists = Effect.fn("ItemsRepo.categoryExists")(function*(id: CategoryId) {
      return (yield* sql`SELECT 1 FROM item_categories WHERE id = ${id}`).length > 0
    }, Effect.orDie)

    const columns = sql`
      i.id, i.provider_id, i.category_id, i.name, i.description, i.price::text AS price, i.inventory_quantity,
        i.created_at, i.created_at::text AS created_at_key, i.updated_at,
        ARRAY(SELECT t.tag::text FROM item_tags t WHERE t.item_id = i.id ORDER BY t.tag) AS tags,
        ARRAY(SELECT f.id::text FROM files f WHERE f.item_id = i.id AND f.purpose = 'item_image' AND f.deleted_at IS NULL
              ORDER BY f.created_at, f.id) AS image_file_ids`
    const from = sql`items i JOIN users u ON u.id = i.provider_id AND u.deleted_at IS NULL`
    const select = sql`SELECT ${columns} FROM ${from}`

    const findById = Resolvers.byId<ItemId, ItemRow>("ItemsRepo.byId", {
      id: (row) => row.id,
      execute: (ids) => sql<ItemRow>`${select} WHERE i.id = ANY(${ids}::uuid[]) AND i.deleted_at IS NULL`
    })

    /** Replaces the item's tags with `tags` (distinct whatever their case). */
    const setTags = (id: ItemId, tags: ReadonlyArray<string>) =>
      Effect.gen(function*() {
        yield* sql`DELETE FROM item_tags WHERE item_id = ${id}`
        if (tags.length > 0) {
          yield* sql`INSERT INTO item_tags (item_id, tag) SELECT ${id}, t FROM unnest(${tags}::text[]) AS t ON CONFLICT DO NOTHING`
        }
      })

    /** Run in a transaction: the item and its tags. */
    const insert = Effect.fn("ItemsRepo.insert")(function*(providerId: UserId, fields: ItemFields, tags: ReadonlyArray<string>) {
      const rows = yield* sql<{ id: ItemId }>`INSERT INTO items ${sql.insert({ providerId, ...fields })} RETURNING id`
      const id = rows[0]!.id
      yield* setTags(id, tags)
      return id
    }, Effect.orDie)

    /** Run in a transaction; false when the item is gone. */
    const update = Effect.fn("ItemsRepo.update")(function*(id: ItemId, fields: ItemFields, tags: ReadonlyArray<string> | undefined) {
      const set = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined))
      const rows = Object.keys(set).length > 0
        ? yield* sql`UPDATE items SET ${sql.update(set)} WHERE id = ${id} AND deleted_at IS NULL RETURNING id`
        : yield* sql`UPDATE items SET updated_at = now() WHERE id = ${id} AND deleted_at IS NULL RETURNING id`
      if (rows.length === 0) return false
      if (tags !== undefined) yield* setTags(id, tags)
      return true
    }, Effect.orDie)

    const softDelete = Effect.fn("ItemsRepo.softDelete")(function*(id: ItemId) {
      return (yield* sql`UPDATE items SET deleted_at = now() WHERE id = ${id} AND deleted_at IS NULL RETURNING id`).length > 0
    }, Effect.orDie)

    const list = Effect.fn("ItemsRepo.list")(function*(filter: {
      readonly categoryId?: CategoryId | undefined
      readonly providerId?: UserId | undefined
      readonly after: Option.Option<readonly [string, string]>
      readonly limit: number
    }) {
      return yield* sql<ItemRow>`${select}
        WHERE i.deleted_at IS NULL
          AND ${filter.categoryId === undefined ? sql`true` : sql`i.category_id = ${filter.categoryId}`}
          AND ${filter.providerId === undefined ? sql`true` : sql`i.provider_id = ${filter.providerId}`}
          AND ${olderThan(sql, "i", filter.after)}
        ORDER BY i.created_at DESC, i.id DESC
        LIMIT ${filter.limit + 1}`
    }, Effect.orDie)

    /** Full-text search over items (name weighted over description), with filters and a whitelisted sort. */
    const search = Effect.fn("ItemsRepo.search")(function*(filter: ItemSearchFilter) {
      const query = filter.q === undefined ? undefined : sql`websearch_to_tsquery('english', ${filter.q})`
      const order = (() => {
        switch (filter.sort) {
          case "relevance":
            return { key: query === undefined ? sql`0::real` : sql`ts_rank_cd(i.search, ${query})`, cast: sql`real`, desc: true }
          case "newest":
            return { key: sql`i.created_at`, cast: sql`timestamptz`, desc: true }
          case "price_asc":
            return { key: sql`i.price`, cast: sql`numeric`, desc: false }
          case "price_desc":
            return { key: sql`i.price`, cast: sql`numeric`, desc: true }
        }
      })()
      const page = keyset(sql, order, sql`i.id`, filter.after)
      // As services' search: rank items alone, join sellers for the page (migration 00011 deletes a deleted
      // user's items), and join them first only to filter by province.
      return yield* sql<ItemRow & { sortKey: string }>`
        SELECT ${columns}, p.sort_key
        FROM (
          SELECT i.id, ${order.key} AS sort_value, ${order.key}::text AS sort_key
          FROM items i ${filter.province === undefined ? sql`` : sql`JOIN users u ON u.id = i.provider_id AND u.deleted_at IS NULL`}
          WHERE i.deleted_at IS NULL
            AND ${query === undefined ? sql`true` : sql`i.search @@ ${query}`}
            AND ${filter.categoryId === undefined ? sql`true` : sql`i.category_id = ${filter.categoryId}`}
            AND ${filter.minPrice === undefined ? sql`true` : sql`i.price >= ${filter.minPrice}::numeric`}
            AND ${filter.maxPrice === undefined ? sql`true` : sql`i.price <= ${filter.maxPrice}::numeric`}
            AND ${filter.province === undefined ? sql`true` : sql`u.province_code = ${filter.province}`}
            AND ${filter.inStock === undefined ? sql`true` : filter.inStock ? sql`i.inventory_quantity > 0` : sql`i.inventory_quantity = 0`}
            AND ${page.after}
          ORDER BY ${page.orderBy}
          LIMIT ${filter.limit + 1}
        ) p
        JOIN ${from} ON i.id = p.id
        ORDER BY ${keyset(sql, { ...order, key: sql`p.sort_value` }, sql`p.id`, Option.none()).orderBy}`
    }, Effect.orDie)

    return { insertCategory, listCategories, categoryExists, findById, insert, update, softDelete, list, search }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}
