/**
 * `npm run seed [-- --scale 0.1] [--seed 42] [--reset]`: writes the seeded
 * marketplace (`seed/Seed.ts`) to `DATABASE_URL` or the embedded database,
 * after migrating it. Every seeded user signs in with `SEED_PASSWORD`, as
 * `provider.00001@seed.maplehustle.test`, `client.00001@…`. An already seeded
 * database is left alone unless `--reset` empties the marketplace first. The
 * rows are written behind the services' back, so every cached read in the
 * Redis of `REDIS_URL` is dropped afterwards (tag `all`).
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Console, Effect, Layer } from "effect"
import { parseArgs } from "node:util"
import * as Cache from "./infra/Cache.ts"
import { Redis } from "./infra/Redis.ts"
import { SqlLive } from "./infra/Sql.ts"
import * as Seed from "./seed/Seed.ts"
import { Passwords } from "./users/Passwords.ts"

const { values } = parseArgs({
  options: {
    scale: { type: "string", default: "1" },
    seed: { type: "string", default: "42" },
    reset: { type: "boolean", default: false }
  }
})

const refuse = (message: string) =>
  Effect.andThen(Console.error(message), Effect.sync(() => {
    process.exitCode = 2
  }))

const program = Effect.gen(function*() {
  const scale = Number(values.scale)
  const seed = Number(values.seed)
  if (!(scale > 0 && scale <= 10) || !Number.isInteger(seed)) {
    return yield* refuse("--scale takes a number in (0, 10], --seed an integer")
  }
  if (values.reset) yield* Seed.reset
  else if (yield* Seed.isSeeded) {
    return yield* refuse("the database is already seeded; pass --reset to empty the marketplace and seed again")
  }
  const passwordHash = yield* Passwords.use((passwords) => passwords.hash(Seed.SEED_PASSWORD))
  const today = new Date(new Date().toISOString().slice(0, 10))
  const started = Date.now()
  const dataset = Seed.generate({ scale, seed, passwordHash, today })
  yield* Seed.insert(dataset)
  yield* Console.log(
    `seeded ${dataset.providers.length} providers, ${dataset.clients.length} clients, ${dataset.services.length} services, ` +
      `${dataset.slots.length} slots, ${dataset.bookings.length} bookings, ${dataset.reviews.length} reviews, ` +
      `${dataset.items.length} items in ${((Date.now() - started) / 1000).toFixed(1)} s; password ${Seed.SEED_PASSWORD}`
  )
  yield* Cache.Cache.use((cache) => cache.invalidate(["all"]))
})

NodeRuntime.runMain(program.pipe(Effect.provide(Layer.mergeAll(SqlLive, Passwords.layer, Cache.layer.pipe(Layer.provide(Redis.layer))))))
