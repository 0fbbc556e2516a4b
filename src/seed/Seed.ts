/**
 * A realistic marketplace for demos and benchmarks, the same on every run:
 * every id, name, text, price and rating comes from one seeded PRNG. Times are
 * relative to the day of seeding (slots in the next two weeks, completed
 * bookings in the past three months), so the calendar stays current.
 *
 * Scale 1: 2,000 providers, 20,000 clients, 10,000 services, 20,000 items,
 * ~7,000 availability slots, ~20,000 completed bookings with reviews (and the
 * providers' rating summaries they add up to). Rows go in with multi-row
 * `INSERT`s in one transaction, so PGlite and Postgres both take it.
 */
import { Effect } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as Catalog from "./Catalog.ts"

export interface SeedOptions {
  readonly scale: number
  readonly seed: number
  /** Every seeded user's password (their hash is computed once). */
  readonly passwordHash: string
  /** Midnight UTC of the seeding day. */
  readonly today: Date
}

export const SEED_EMAIL_DOMAIN = "seed.maplehustle.test"
export const SEED_PASSWORD = "Seed-pass-1!"

/** mulberry32: small, fast and good enough for test data. */
export const prng = (seed: number) => {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1))
  const pick = <A>(values: ReadonlyArray<A>): A => values[Math.floor(next() * values.length)]!
  const chance = (p: number) => next() < p
  const hex = (digits: number) => Array.from({ length: digits }, () => Math.floor(next() * 16).toString(16)).join("")
  /** A version-4-shaped UUID from the stream. */
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${"89ab"[int(0, 3)]}${hex(3)}-${hex(12)}`
  return { next, int, pick, chance, uuid }
}
export type Prng = ReturnType<typeof prng>

const HOUR = 3_600_000
const DAY = 24 * HOUR

const money = (value: number) => value.toFixed(2)
const range = (start: number, end: number) => `[${new Date(start).toISOString()},${new Date(end).toISOString()})`

/** The row counts a scale gives. */
export const counts = (scale: number) => ({
  providers: Math.max(2, Math.round(2_000 * scale)),
  clients: Math.max(2, Math.round(20_000 * scale)),
  services: Math.max(2, Math.round(10_000 * scale)),
  items: Math.max(2, Math.round(20_000 * scale))
})

interface Person {
  readonly id: string
  readonly email: string
  readonly passwordHash: string
  readonly name: string
  readonly role: "client" | "provider"
  readonly verificationStatus: "approved" | "pending" | null
  readonly emailVerifiedAt: string | null
  readonly phoneNumber: string | null
  readonly city: string
  readonly postalCode: string
  readonly provinceCode: string
  readonly createdAt: string
}

/** Everything to insert, generated without touching the database. */
export const generate = (options: SeedOptions) => {
  const random = prng(options.seed)
  const n = counts(options.scale)
  const today = options.today.getTime()
  const pastInstant = (maxDays: number) => today - random.int(1, maxDays) * DAY + random.int(8, 20) * HOUR

  const person = (role: "client" | "provider", index: number): Person => {
    const first = random.pick(Catalog.firstNames)
    const last = random.pick(Catalog.lastNames)
    const place = random.pick(Catalog.weightedPlaces)
    return {
      id: random.uuid(),
      email: `${role}.${String(index).padStart(5, "0")}@${SEED_EMAIL_DOMAIN}`,
      passwordHash: options.passwordHash,
      name: `${first} ${last}`,
      role,
      verificationStatus: role === "provider" ? (random.chance(0.9) ? "approved" : "pending") : null,
      emailVerifiedAt: random.chance(0.85) ? new Date(pastInstant(400)).toISOString() : null,
      phoneNumber: random.chance(0.6) ? `+1${place.areaCode}${random.int(2_000_000, 9_999_999)}` : null,
      city: place.city,
      postalCode: Catalog.postalCode(place.letter, random),
      provinceCode: place.province,
      createdAt: new Date(pastInstant(400)).toISOString()
    }
  }
  const providers = Array.from({ length: n.providers }, (_, i) => person("provider", i + 1))
  const clients = Array.from({ length: n.clients }, (_, i) => person("client", i + 1))

  const services = Array.from({ length: n.services }, (_, i) => {
    // Every provider offers at least one service; the rest go to random providers.
    const provider = i < providers.length ? providers[i]! : random.pick(providers)
    const kind = random.pick(Catalog.serviceKinds)
    const hourly = kind.hourly !== null ? random.int(kind.hourly[0], kind.hourly[1]) : null
    const daily = kind.daily !== null && (hourly === null || random.chance(0.5)) ? random.int(kind.daily[0], kind.daily[1]) : null
    return {
      id: random.uuid(),
      providerId: provider.id,
      type: kind.type,
      title: `${random.pick(kind.titles)} in ${provider.city}`,
      description: `${random.pick(kind.descriptions)} ${random.pick(Catalog.serviceClosers)}`,
      hourlyRate: hourly === null ? null : money(hourly),
      dailyRate: daily === null ? null : money(daily),
      isFeatured: random.chance(0.05),
      status: random.chance(0.95) ? "active" : "inactive",
      createdAt: new Date(pastInstant(365)).toISOString()
    }
  })
  const servicesByProvider = new Map<string, Array<(typeof services)[number]>>()
  for (const service of services) {
    servicesByProvider.set(service.providerId, [...(servicesByProvider.get(service.providerId) ?? []), service])
  }

  // Up to five days of the next fourteen per provider, one slot a day (so slots never overlap).
  const slots: Array<{ id: string; providerId: string; period: string }> = []
  const upcoming: Array<{ providerId: string; start: number; end: number }> = []
  for (const provider of providers) {
    const days = new Set(Array.from({ length: random.int(3, 5) }, () => random.int(1, 14)))
    for (const day of days) {
      const start = today + day * DAY + random.int(8, 12) * HOUR
      const end = start + random.int(4, 9) * HOUR
      slots.push({ id: random.uuid(), providerId: provider.id, period: range(start, end) })
      upcoming.push({ providerId: provider.id, start, end })
    }
  }

  const bookings: Array<{
    id: string
    clientId: string
    providerId: string
    serviceId: string
    period: string
    status: "completed" | "accepted"
    totalAmount: string
    platformFee: string
    acceptedAt: string
    completedAt: string | null
    createdAt: string
  }> = []
  const reviews: Array<{
    id: string
    bookingId: string
    reviewerId: string
    revieweeId: string
    direction: "client_to_provider"
    rating: number
    comment: string
    createdAt: string
  }> = []
  const price = (service: (typeof services)[number], hours: number) =>
    service.dailyRate !== null && (hours >= 8 || service.hourlyRate === null)
      ? Number(service.dailyRate)
      : Number(service.hourlyRate) * hours
  // Past work, two per service on average: completed, mostly reviewed.
  for (let i = 0; i < services.length * 2; i++) {
    const service = random.pick(services)
    const client = random.pick(clients)
    const hours = random.int(1, 4)
    const start = today - random.int(2, 90) * DAY + random.int(8, 16) * HOUR
    const total = price(service, hours)
    const id = random.uuid()
    bookings.push({
      id,
      clientId: client.id,
      providerId: service.providerId,
      serviceId: service.id,
      period: range(start, start + hours * HOUR),
      status: "completed",
      totalAmount: money(total),
      platformFee: money(Math.round(total * 10) / 100),
      acceptedAt: new Date(start - DAY).toISOString(),
      completedAt: new Date(start + hours * HOUR).toISOString(),
      createdAt: new Date(start - 2 * DAY).toISOString()
    })
    if (random.chance(0.7)) {
      reviews.push({
        id: random.uuid(),
        bookingId: id,
        reviewerId: client.id,
        revieweeId: service.providerId,
        direction: "client_to_provider",
        rating: random.pick([5, 5, 5, 4, 4, 4, 3, 2, 1]),
        comment: random.pick(Catalog.reviewComments),
        createdAt: new Date(start + hours * HOUR + DAY).toISOString()
      })
    }
  }
  // A fifth of the upcoming slots are partly booked, so availability search has something to exclude.
  for (const slot of upcoming) {
    const offered = servicesByProvider.get(slot.providerId) ?? []
    if (offered.length === 0 || !random.chance(0.2)) continue
    const service = random.pick(offered)
    const hours = random.int(1, 3)
    const total = price(service, hours)
    bookings.push({
      id: random.uuid(),
      clientId: random.pick(clients).id,
      providerId: slot.providerId,
      serviceId: service.id,
      period: range(slot.start, slot.start + hours * HOUR),
      status: "accepted",
      totalAmount: money(total),
      platformFee: money(Math.round(total * 10) / 100),
      acceptedAt: new Date(today - DAY).toISOString(),
      completedAt: null,
      createdAt: new Date(today - 2 * DAY).toISOString()
    })
  }

  const items = Array.from({ length: n.items }, () => {
    const provider = random.pick(providers)
    const category = random.pick(Catalog.itemCategories)
    const product = random.pick(category.products)
    return {
      item: {
        id: random.uuid(),
        providerId: provider.id,
        categoryName: category.name,
        name: `${random.pick(Catalog.itemAdjectives)} ${product}`,
        description: `${random.pick(category.descriptions)} Made in ${provider.city}.`,
        price: money(random.int(category.price[0] * 100, category.price[1] * 100) / 100),
        inventoryQuantity: random.chance(0.1) ? 0 : random.int(1, 40),
        createdAt: new Date(pastInstant(365)).toISOString()
      },
      tags: [...new Set(Array.from({ length: random.int(1, 4) }, () => random.pick(category.tags)))]
    }
  })

  return { providers, clients, services, slots, bookings, reviews, items }
}

export type Dataset = ReturnType<typeof generate>

/** Inserts `rows` in statements of at most ~30,000 parameters. */
const insertAll = (sql: SqlClient, table: string, rows: ReadonlyArray<object>) => {
  const columns = rows.length === 0 ? 1 : Object.keys(rows[0]!).length
  const size = Math.max(1, Math.floor(30_000 / columns))
  const chunks = Array.from({ length: Math.ceil(rows.length / size) }, (_, i) => rows.slice(i * size, (i + 1) * size))
  return Effect.forEach(chunks, (chunk) => {
    const [first, ...rest] = chunk.map((row) => ({ ...row }))
    return sql`INSERT INTO ${sql(table)} ${sql.insert([first!, ...rest])}`
  }, { discard: true })
}

/** Whether a seeded dataset is already there. */
export const isSeeded = SqlClient.use((sql) =>
  Effect.map(
    sql`SELECT 1 FROM users WHERE email LIKE ${`%@${SEED_EMAIL_DOMAIN}`} LIMIT 1`,
    (rows) => rows.length > 0
  )
)

/** Empties every marketplace table (users and everything that hangs off them, categories, jobs). */
export const reset = SqlClient.use((sql) =>
  sql`TRUNCATE users, item_categories, jobs, completed_jobs, daily_reports, idempotency_keys CASCADE`
)

/** Writes `dataset` in one transaction, then refreshes the planner's statistics. */
export const insert = (dataset: Dataset) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    yield* sql.withTransaction(Effect.gen(function*() {
      yield* insertAll(sql, "users", [...dataset.providers, ...dataset.clients])
      yield* insertAll(sql, "services", dataset.services)
      yield* insertAll(sql, "availability_slots", dataset.slots)
      yield* insertAll(sql, "bookings", dataset.bookings)
      yield* insertAll(sql, "reviews", dataset.reviews)
      yield* sql`
        UPDATE users u SET rating_sum = r.total, rating_count = r.count
        FROM (SELECT reviewee_id, sum(rating)::int AS total, count(*)::int AS count FROM reviews
              WHERE direction = 'client_to_provider' AND status = 'visible' GROUP BY reviewee_id) r
        WHERE u.id = r.reviewee_id`
      yield* insertAll(sql, "item_categories", Catalog.itemCategories.map((c) => ({ name: c.name, description: c.description })))
      const categories = yield* sql<{ id: string; name: string }>`SELECT id, name::text AS name FROM item_categories`
      const categoryId = new Map(categories.map((c) => [c.name, c.id]))
      yield* insertAll(
        sql,
        "items",
        dataset.items.map(({ item: { categoryName, ...item } }) => ({ ...item, categoryId: categoryId.get(categoryName)! }))
      )
      yield* insertAll(sql, "item_tags", dataset.items.flatMap(({ item, tags }) => tags.map((tag) => ({ itemId: item.id, tag }))))
    }))
    // VACUUM, not only ANALYZE: a GIN index filled in one transaction keeps its entries in a pending list,
    // which the planner prices so high that it scans the table instead (20 ms instead of 3 ms a search).
    yield* sql`VACUUM ANALYZE`
  })
