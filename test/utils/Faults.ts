/**
 * What the fault tests share: polling for a condition, a status that is 0
 * when nothing answered, loops of requests, a value read from `/metrics`, and
 * a database holding one provider's service.
 */
import { Effect, Layer, Redacted, Scope } from "effect"
import { insertService, insertUser } from "./fixtures.ts"
import { scopedDatabase, TestDatabase } from "./TestDatabase.ts"

/** Polls `check` every 20 ms until it holds; fails naming `what` after `timeoutMs`. */
export const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** The response's status once its body is read; 0 when the request got no answer. */
export const statusOf = (response: Promise<Response>) => response.then((r) => r.arrayBuffer().then(() => r.status), () => 0)

/** `send` from `workers` loops until `stop()`; what each call answered (0: no answer). */
export const traffic = <A>(workers: number, send: (n: number) => Promise<A>) => {
  let running = true
  let n = 0
  const answers: Array<A> = []
  const loops = Array.from({ length: workers }, async () => {
    while (running) answers.push(await send(n++))
  })
  return {
    answers,
    stop: async () => {
      running = false
      await Promise.all(loops)
    }
  }
}

/** The value of the first `/metrics` series of `base` whose line starts with `series` and contains every `labels` part; 0 if none. */
export const metricValue = async (base: string, series: string, ...labels: ReadonlyArray<string>) => {
  const text = await (await fetch(`${base}/metrics`)).text()
  const line = text.split("\n").find((l) => l.startsWith(series) && labels.every((label) => l.includes(label)))
  return line === undefined ? 0 : Number(line.split(" ").at(-1))
}

/** A migrated database, dropped with `scope`, holding one provider and its service. */
export const databaseWithService = async (scope: Scope.Scope) => {
  const database = await Effect.runPromise(Scope.provide(scopedDatabase({ migrated: true }), scope))
  const url = Redacted.value(database.url)
  const { providerId, serviceId } = await Effect.runPromise(
    Effect.gen(function*() {
      const providerId = yield* insertUser("provider")
      return { providerId, serviceId: yield* insertService(providerId) }
    }).pipe(Effect.provide(Layer.fresh(TestDatabase({ DATABASE_URL: url }))))
  )
  return { name: database.name, url, providerId, serviceId }
}
