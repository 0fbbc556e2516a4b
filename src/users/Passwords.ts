/**
 * Password hashing: argon2id through `@node-rs/argon2` (a maintained native
 * binding with prebuilt binaries for every platform in the lockfile; runs on
 * libuv's thread pool, so hashing never blocks the event loop). 64 MiB, three
 * passes: 55 ms per verification on these machines, median of 30 on an idle
 * machine (tuned by measurement: 64 MiB × 2 was 39 ms, × 4 was 73 ms; 19 MiB ×
 * 2 was 13 ms). Hashes keep their parameters, so older ones still verify. Unknown emails are checked
 * against a dummy hash made at start-up, so timing does not reveal which
 * emails have accounts. Verification compares in constant time (the library's).
 *
 * At most one hash per core runs at once, and never on every thread of the
 * pool: WebCrypto (each JWT's signature), `fs` and `zlib` share those threads,
 * and behind a queue of hashes every authenticated request would wait for
 * them. More hashes at once than cores only queue inside the pool.
 */
import { hash, verify as verifyHash } from "@node-rs/argon2"
import { Context, Effect, Layer, Semaphore } from "effect"
import * as Crypto from "node:crypto"
import * as Os from "node:os"
import * as Settings from "../infra/Settings.ts"

// `algorithm: 2` is `Algorithm.Argon2id` (a const enum, which type stripping cannot read).
export const hashOptions = { algorithm: 2, memoryCost: 65_536, timeCost: 3, parallelism: 1 } as const

export class Passwords extends Context.Service<Passwords>()("maplehustle/users/Passwords", {
  make: Effect.gen(function*() {
    // Node's default pool has 4 threads.
    const threads = yield* Settings.int("UV_THREADPOOL_SIZE", { default: 4, min: 1, max: 1024 })
    const hashing = yield* Semaphore.make(Math.max(1, Math.min(Os.availableParallelism(), threads - 1)))

    // At start-up (~60 ms), not lazily: a first unknown email would otherwise pay two hashes and stand out.
    const dummy = yield* Effect.promise(() => hash(Crypto.randomBytes(16).toString("hex"), hashOptions))

    const hashPassword = Effect.fn("Passwords.hash")((password: string) =>
      hashing.withPermit(Effect.promise(() => hash(password, hashOptions))))

    /** Whether `password` matches `stored`; a malformed stored hash is a mismatch. */
    const verify = Effect.fn("Passwords.verify")((stored: string, password: string) =>
      hashing.withPermit(Effect.promise(() => verifyHash(stored, password).catch(() => false))))

    /** Costs what a real verification costs, for callers with no account to check against. */
    const verifyNobody = Effect.fn("Passwords.verifyNobody")((password: string) => Effect.asVoid(verify(dummy, password)))

    return { hash: hashPassword, verify, verifyNobody }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}
