/**
 * What the cached public reads are tagged with, and which tags each kind of
 * write makes stale (the table of docs/caching.md). Invalidation runs after
 * the write's transaction commits (at once outside a transaction), so no
 * other request can refill an entry from the old rows.
 */
import { Context, Effect, Layer } from "effect"
import type { UserId } from "../domain/User.ts"
import { Cache } from "../infra/Cache.ts"
import { Transactions } from "../infra/Sql.ts"
import { ServicesRepo } from "./ServicesRepo.ts"

export const Tags = {
  /** `GET /services/{id}`, `GET /services/{id}/overview` (its public view). */
  service: (id: string) => `service:${id}`,
  /** `GET /users/{id}`. */
  user: (id: string) => `user:${id}`,
  /** `GET /services?provider_id=`. */
  providerServices: (id: string) => `services:provider:${id}`,
  /** `GET /services` without `provider_id`. */
  serviceLists: "services:lists",
  searchServices: "search:services",
  searchProviders: "search:providers",
  provinces: "provinces"
} as const

export class CachedReads extends Context.Service<CachedReads>()("maplehustle/listings/CachedReads", {
  make: Effect.gen(function*() {
    const cache = yield* Cache
    const tx = yield* Transactions
    const services = yield* ServicesRepo

    const afterCommit = (tags: ReadonlyArray<string>) => tx.afterCommit(cache.invalidate(tags))

    /** A service was created, changed or deleted (`serviceId` is absent for a new one: nothing cached it yet). */
    const serviceChanged = (providerId: string, serviceId?: string) =>
      afterCommit([
        ...(serviceId === undefined ? [] : [Tags.service(serviceId)]),
        Tags.providerServices(providerId),
        Tags.serviceLists,
        Tags.searchServices,
        Tags.searchProviders
      ])

    /**
     * A user's public face changed (name, place, standing, rating): their
     * profile, every list and search that can show them, and each service
     * whose reads embed them — their own, and those of providers they
     * reviewed (the service overview shows its reviews' authors).
     */
    const userChanged = (userId: UserId) =>
      Effect.flatMap(services.showing(userId), (ids) =>
        afterCommit([
          Tags.user(userId),
          Tags.providerServices(userId),
          Tags.serviceLists,
          Tags.searchServices,
          Tags.searchProviders,
          ...ids.map(Tags.service)
        ]))

    return { serviceChanged, userChanged }
  })
}) {
  static readonly layer = Layer.effect(this, this.make).pipe(Layer.provide([ServicesRepo.layer, Transactions.layer]))
}
