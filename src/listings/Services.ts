/**
 * Services that providers offer: rules of who may create and change them,
 * the rate rules of API.md, soft delete, and the public view with the
 * provider's public profile embedded.
 */
import { Context, Effect, Layer, Option } from "effect"
import { BadRequest, Forbidden, NotFound } from "../domain/Errors.ts"
import { DEFAULT_LIMIT, keysetPage, Page } from "../domain/Page.ts"
import type { UserId } from "../domain/User.ts"
import { Cache, paramsKey } from "../infra/Cache.ts"
import type { Caller } from "../users/Authentication.ts"
import { publicUserView } from "../users/Users.ts"
import { type NewService, type ServiceChanges, type ServiceId, type ServiceType, ServiceView } from "./Api.ts"
import { CachedReads, Tags } from "./CachedReads.ts"
import { type ServiceRow, ServicesRepo } from "./ServicesRepo.ts"

const ServicePage = Page(ServiceView)

export const serviceView = (row: ServiceRow): ServiceView => ({
  id: row.id,
  provider_id: row.providerId,
  type: row.type,
  title: row.title,
  description: row.description,
  terms: row.terms,
  hourly_rate: row.hourlyRate,
  daily_rate: row.dailyRate,
  is_featured: row.isFeatured,
  status: row.status,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
  provider: publicUserView({
    id: row.providerId,
    name: row.providerName,
    role: row.providerRole,
    city: row.providerCity,
    provinceCode: row.providerProvinceCode,
    ratingSum: row.providerRatingSum,
    ratingCount: row.providerRatingCount
  })
})

const needsRate = new BadRequest({ message: "A service needs at least one of hourly_rate and daily_rate" })

export class Services extends Context.Service<Services>()("maplehustle/listings/Services", {
  make: Effect.gen(function*() {
    const repo = yield* ServicesRepo
    const cache = yield* Cache
    const reads = yield* CachedReads
    const notFound = (id: ServiceId) => new NotFound({ message: `No service ${id}` })

    const get = Effect.fn("Services.get")(function*(id: ServiceId) {
      const view = yield* cache.get({
        entity: "service",
        key: id,
        schema: ServiceView,
        ttl: "30 minutes",
        tags: [Tags.service(id)],
        lookup: Effect.map(repo.findById(id), Option.map(serviceView))
      })
      if (Option.isNone(view)) return yield* notFound(id)
      return view.value
    })

    const create = Effect.fn("Services.create")(function*(caller: Caller, input: NewService) {
      if (caller.role !== "provider") return yield* new Forbidden({ message: "Only providers offer services" })
      if (input.hourly_rate === undefined && input.daily_rate === undefined) return yield* needsRate
      const id = yield* repo.insert(caller.id, {
        type: input.type,
        title: input.title,
        description: input.description,
        terms: input.terms ?? null,
        hourlyRate: input.hourly_rate ?? null,
        dailyRate: input.daily_rate ?? null,
        isFeatured: input.is_featured ?? false
      })
      yield* reads.serviceChanged(caller.id)
      return yield* Effect.orDie(get(id))
    })

    /** The service, if `caller` owns it: another user gets 403, a missing service 404. */
    const owned = (caller: Caller, id: ServiceId) =>
      Effect.gen(function*() {
        const row = yield* repo.findById(id)
        if (Option.isNone(row)) return yield* notFound(id)
        if (row.value.providerId !== caller.id) return yield* new Forbidden({ message: "Only the provider who offers this service may change it" })
        return row.value
      })

    const update = Effect.fn("Services.update")(function*(caller: Caller, id: ServiceId, changes: ServiceChanges) {
      const fields = {
        type: changes.type,
        title: changes.title,
        description: changes.description,
        terms: changes.terms,
        hourlyRate: changes.hourly_rate,
        dailyRate: changes.daily_rate,
        isFeatured: changes.is_featured,
        status: changes.status
      }
      if (Object.values(fields).every((value) => value === undefined)) {
        return yield* new BadRequest({ message: "Provide at least one field to change" })
      }
      const current = yield* owned(caller, id)
      const hourly = fields.hourlyRate === undefined ? current.hourlyRate : fields.hourlyRate
      const daily = fields.dailyRate === undefined ? current.dailyRate : fields.dailyRate
      if (hourly === null && daily === null) return yield* needsRate
      if (!(yield* repo.update(id, fields))) return yield* notFound(id)
      yield* reads.serviceChanged(caller.id, id)
      return yield* get(id)
    })

    const remove = Effect.fn("Services.remove")(function*(caller: Caller, id: ServiceId) {
      yield* owned(caller, id)
      if (!(yield* repo.softDelete(id))) return yield* notFound(id)
      yield* reads.serviceChanged(caller.id, id)
    })

    const list = Effect.fn("Services.list")(function*(query: {
      readonly type?: ServiceType | undefined
      readonly provider_id?: UserId | undefined
      readonly featured?: boolean | undefined
      readonly limit?: number | undefined
      readonly cursor?: string | undefined
    }) {
      const page = keysetPage(
        query,
        (after, limit) => repo.list({ type: query.type, providerId: query.provider_id, featured: query.featured, after, limit }),
        serviceView,
        (row) => [row.createdAtKey, row.id]
      )
      return yield* cached("services.list", "5 minutes", query.provider_id === undefined ? [Tags.serviceLists] : [Tags.providerServices(query.provider_id)], {
        type: query.type,
        provider_id: query.provider_id,
        featured: query.featured,
        limit: query.limit ?? DEFAULT_LIMIT,
        cursor: query.cursor
      }, page)
    })

    /** `GET /search/services`: relevance by default with a query, newest without. */
    const search = Effect.fn("Services.search")(function*(query: {
      readonly q?: string | undefined
      readonly type?: ServiceType | undefined
      readonly min_rate?: string | undefined
      readonly max_rate?: string | undefined
      readonly province?: string | undefined
      readonly city?: string | undefined
      readonly featured?: boolean | undefined
      readonly sort?: "relevance" | "newest" | "rate_asc" | "rate_desc" | "rating" | undefined
      readonly limit?: number | undefined
      readonly cursor?: string | undefined
    }) {
      const requested = query.sort ?? (query.q === undefined ? "newest" : "relevance")
      const sort = requested === "relevance" && query.q === undefined ? "newest" : requested
      const params = { ...query, q: query.q?.trim().toLowerCase(), sort, limit: query.limit ?? DEFAULT_LIMIT }
      return yield* cached("search.services", "15 minutes", [Tags.searchServices], params, keysetPage(query, (after, limit) => repo.search({
        q: query.q,
        type: query.type,
        minRate: query.min_rate,
        maxRate: query.max_rate,
        province: query.province,
        city: query.city,
        featured: query.featured,
        sort,
        after,
        limit
      }), serviceView, (row) => [row.sortKey, row.id]))
    })

    /** A page of services read through the cache under the query's canonical parameters. */
    const cached = <E, R>(
      entity: string,
      ttl: "5 minutes" | "15 minutes",
      tags: ReadonlyArray<string>,
      params: Parameters<typeof paramsKey>[0],
      page: Effect.Effect<typeof ServicePage.Type, E, R>
    ) =>
      cache.value({ entity, key: paramsKey(params), schema: ServicePage, ttl, tags, lookup: page })

    const available = Effect.fn("Services.available")(function*(query: {
      readonly from: string
      readonly to: string
      readonly type?: ServiceType | undefined
      readonly province?: string | undefined
      readonly city?: string | undefined
      readonly limit?: number | undefined
      readonly cursor?: string | undefined
    }) {
      const from = new Date(query.from)
      const to = new Date(query.to)
      if (to <= from) return yield* new BadRequest({ message: "to must be after from" })
      return yield* keysetPage(
        query,
        (after, limit) => repo.availableIn({ from, to, type: query.type, province: query.province, city: query.city, after, limit }),
        serviceView,
        (row) => [row.createdAtKey, row.id]
      )
    })

    return { get, create, update, remove, list, search, available }
  })
}) {
  static readonly layerNoDeps = Layer.effect(this, this.make)
  static readonly layer = this.layerNoDeps.pipe(Layer.provide([ServicesRepo.layer, CachedReads.layer]))
}
