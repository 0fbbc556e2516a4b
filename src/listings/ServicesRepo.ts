/**
 * SQL of `services`. Every read joins the provider's public fields, so a
 * service and its provider cost one statement; deleted services and services
 * of deleted providers are invisible.
 */
import { Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as Resolvers from "../infra/Resolvers.ts"
import { keyset, olderThan } from "../infra/Sql.ts"
import type { Role, UserId } from "../domain/User.ts"
import type { ServiceId, ServiceType } from "./Api.ts"

export interface ServiceRow {
  readonly id: ServiceId
  readonly providerId: UserId
  readonly type: ServiceType
  readonly title: string
  readonly description: string
  readonly terms: string | null
  readonly hourlyRate: string | null
  readonly dailyRate: string | null
  readonly isFeatured: boolean
  readonly status: "active" | "inactive"
  readonly createdAt: Date
  /** `created_at` to the microsecond, for keyset cursors (a `Date` keeps only milliseconds). */
  readonly createdAtKey: string
  readonly updatedAt: Date
  readonly providerName: string
  readonly providerRole: Role
  readonly providerCity: string | null
  readonly providerProvinceCode: string | null
  readonly providerRatingSum: number
  readonly providerRatingCount: number
}

export interface ServiceFields {
  readonly type?: ServiceType | undefined
  readonly title?: string | undefined
  readonly description?: string | undefined
  readonly terms?: string | null | undefined
  readonly hourlyRate?: string | null | undefined
  readonly dailyRate?: string | null | undefined
  readonly isFeatured?: boolean | undefined
  readonly status?: "active" | "inactive" | undefined
}

export interface ServiceSearchFilter {
  readonly q?: string | undefined
  readonly type?: ServiceType | undefined
  readonly minRate?: string | undefined
  readonly maxRate?: string | undefined
  readonly province?: string | undefined
  readonly city?: string | undefined
  readonly featured?: boolean | undefined
  readonly sort: "relevance" | "newest" | "rate_asc" | "rate_desc" | "rating"
  readonly after: Option.Option<readonly [string, string]>
  readonly limit: number
}

export class ServicesRepo extends Context.Service<ServicesRepo>()("maplehustle/listings/ServicesRepo", {
  make: Effect.gen(function*() {
    const sql = yield* SqlClient

    const columns = sql`
      s.id, s.provider_id, s.type, s.title, s.description, s.terms, s.hourly_rate::text AS hourly_rate,
             s.daily_rate::text AS daily_rate, s.is_featured, s.status, s.created_at, s.created_at::text AS created_at_key,
             s.updated_at,
             u.name AS provider_name, u.role AS provider_role, u.city AS provider_city,
             u.province_code AS provider_province_code, u.rating_sum AS provider_rating_sum,
             u.rating_count AS provider_rating_count`
    const select = sql`SELECT ${columns} FROM services s JOIN users u ON u.id = s.provider_id AND u.deleted_at IS NULL`

    const findById = Resolvers.byId<ServiceId, ServiceRow>("ServicesRepo.byId", {
      id: (row) => row.id,
      execute: (ids) => sql<ServiceRow>`${select} WHERE s.id = ANY(${ids}::uuid[]) AND s.deleted_at IS NULL`
    })

    /**
     * Services named by records that outlive them (a booking's service):
     * deleted ones and those of deleted providers too.
     */
    const findAnyById = Resolvers.byId<ServiceId, ServiceRow>("ServicesRepo.anyById", {
      id: (row) => row.id,
      execute: (ids) => sql<ServiceRow>`
        SELECT ${columns} FROM services s JOIN users u ON u.id = s.provider_id WHERE s.id = ANY(${ids}::uuid[])`
    })

    /** Services whose public reads show `userId`: their own, and those of the providers they reviewed. */
    const showing = Effect.fn("ServicesRepo.showing")(function*(userId: UserId) {
      const rows = yield* sql<{ id: ServiceId }>`
        SELECT id FROM services
        WHERE provider_id = ${userId} OR provider_id IN (SELECT reviewee_id FROM reviews WHERE reviewer_id = ${userId})`
      return rows.map((row) => row.id)
    }, Effect.orDie)

    /** A provider's live services (active or not), newest first. */
    const byProvider = Resolvers.byParent<UserId, ServiceRow>("ServicesRepo.byProvider", {
      parent: (row) => row.providerId,
      execute: (ids) => sql<ServiceRow>`${select}
        WHERE s.provider_id = ANY(${ids}::uuid[]) AND s.deleted_at IS NULL
        ORDER BY s.created_at DESC, s.id DESC`
    })

    const insert = Effect.fn("ServicesRepo.insert")(function*(providerId: UserId, fields: ServiceFields) {
      const inserted = yield* sql<{ id: ServiceId }>`
        INSERT INTO services ${sql.insert({ providerId, ...fields })} RETURNING id`
      return inserted[0]!.id
    }, Effect.orDie)

    /** Applies `fields` to a live service; false when there is none. */
    const update = Effect.fn("ServicesRepo.update")(function*(id: ServiceId, fields: ServiceFields) {
      const set = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined))
      const rows = yield* sql`UPDATE services SET ${sql.update(set)} WHERE id = ${id} AND deleted_at IS NULL RETURNING id`
      return rows.length > 0
    }, Effect.orDie)

    const softDelete = Effect.fn("ServicesRepo.softDelete")(function*(id: ServiceId) {
      const rows = yield* sql`UPDATE services SET deleted_at = now() WHERE id = ${id} AND deleted_at IS NULL RETURNING id`
      return rows.length > 0
    }, Effect.orDie)

    /** Active services newest first, after the keyset `after`, `limit + 1` rows (the extra says a page follows). */
    const list = Effect.fn("ServicesRepo.list")(function*(filter: {
      readonly type?: ServiceType | undefined
      readonly providerId?: UserId | undefined
      readonly featured?: boolean | undefined
      readonly after: Option.Option<readonly [string, string]>
      readonly limit: number
    }) {
      return yield* sql<ServiceRow>`${select}
        WHERE s.deleted_at IS NULL AND s.status = 'active'
          AND ${filter.type === undefined ? sql`true` : sql`s.type = ${filter.type}`}
          AND ${filter.providerId === undefined ? sql`true` : sql`s.provider_id = ${filter.providerId}`}
          AND ${filter.featured === undefined ? sql`true` : sql`s.is_featured = ${filter.featured}`}
          AND ${olderThan(sql, "s", filter.after)}
        ORDER BY s.created_at DESC, s.id DESC
        LIMIT ${filter.limit + 1}`
    }, Effect.orDie)

    /**
     * Full-text search over active services with free filters, ordered by
     * `sort` and then id, in keyset pages: `after` is the last row's
     * `[sortKey, id]`. User text only ever reaches Postgres as a parameter.
     */
    const search = Effect.fn("ServicesRepo.search")(function*(filter: ServiceSearchFilter) {
      const query = filter.q === undefined ? undefined : sql`websearch_to_tsquery('english', ${filter.q})`
      const order = (() => {
        switch (filter.sort) {
          case "relevance":
            return { key: query === undefined ? sql`0::real` : sql`ts_rank_cd(s.search, ${query})`, cast: sql`real`, desc: true }
          case "newest":
            return { key: sql`s.created_at`, cast: sql`timestamptz`, desc: true }
          case "rate_asc":
            return { key: sql`COALESCE(s.hourly_rate, 1000000)`, cast: sql`numeric`, desc: false }
          case "rate_desc":
            return { key: sql`COALESCE(s.hourly_rate, -1)`, cast: sql`numeric`, desc: true }
          case "rating":
            return {
              key: sql`CASE WHEN u.rating_count = 0 THEN -1 ELSE u.rating_sum::numeric / u.rating_count END`,
              cast: sql`numeric`,
              desc: true
            }
        }
      })()
      const page = keyset(sql, order, sql`s.id`, filter.after)
      // Rank services alone and join providers for the page only: a deleted user's services are deleted with
      // them (migration 00011). The provider is joined first only when a filter or the sort needs it.
      const byProvider = filter.province !== undefined || filter.city !== undefined || filter.sort === "rating"
      return yield* sql<ServiceRow & { sortKey: string }>`
        SELECT ${columns}, p.sort_key
        FROM (
          SELECT s.id, ${order.key} AS sort_value, ${order.key}::text AS sort_key
          FROM services s ${byProvider ? sql`JOIN users u ON u.id = s.provider_id AND u.deleted_at IS NULL` : sql``}
          WHERE s.deleted_at IS NULL AND s.status = 'active'
            AND ${query === undefined ? sql`true` : sql`s.search @@ ${query}`}
            AND ${filter.type === undefined ? sql`true` : sql`s.type = ${filter.type}`}
            AND ${filter.minRate === undefined ? sql`true` : sql`s.hourly_rate >= ${filter.minRate}::numeric`}
            AND ${filter.maxRate === undefined ? sql`true` : sql`s.hourly_rate <= ${filter.maxRate}::numeric`}
            AND ${filter.province === undefined ? sql`true` : sql`u.province_code = ${filter.province}`}
            AND ${filter.city === undefined ? sql`true` : sql`lower(u.city) = lower(${filter.city})`}
            AND ${filter.featured === undefined ? sql`true` : sql`s.is_featured = ${filter.featured}`}
            AND ${page.after}
          ORDER BY ${page.orderBy}
          LIMIT ${filter.limit + 1}
        ) p
        JOIN services s ON s.id = p.id
        JOIN users u ON u.id = s.provider_id
        ORDER BY ${keyset(sql, { ...order, key: sql`p.sort_value` }, sql`p.id`, Option.none()).orderBy}`
    }, Effect.orDie)

    /**
     * Active services whose provider has a slot containing `[from, to)` and no
     * pending or accepted booking overlapping it, newest first. Both tests are
     * range operators on the tables' GiST indexes (their exclusion constraints).
     */
    const availableIn = Effect.fn("ServicesRepo.availableIn")(function*(filter: {
      readonly from: Date
      readonly to: Date
      readonly type?: ServiceType | undefined
      readonly province?: string | undefined
      readonly city?: string | undefined
      readonly after: Option.Option<readonly [string, string]>
      readonly limit: number
    }) {
      const window = sql`tstzrange(${filter.from}, ${filter.to}, '[)')`
      return yield* sql<ServiceRow>`${select}
        WHERE s.deleted_at IS NULL AND s.status = 'active'
          AND EXISTS (SELECT 1 FROM availability_slots a WHERE a.provider_id = s.provider_id AND a.period @> ${window})
          AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.provider_id = s.provider_id
                            AND b.status IN ('pending', 'accepted') AND b.period && ${window})
          AND ${filter.type === undefined ? sql`true` : sql`s.type = ${filter.type}`}
          AND ${filter.province === undefined ? sql`true` : sql`u.province_code = ${filter.province}`}
          AND ${filter.city === undefined ? sql`true` : sql`lower(u.city) = lower(${filter.city})`}
          AND ${olderThan(sql, "s", filter.after)}
        ORDER BY s.created_at DESC, s.id DESC
        LIMIT ${filter.limit + 1}`
    }, Effect.orDie)

    return { findById, findAnyById, byProvider, showing, insert, update, softDelete, list, search, availableIn }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}
