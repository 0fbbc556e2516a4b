/**
 * The payment gateway behind an interface. The built-in one simulates a
 * card processor: references are derived from the charge's own reference, so
 * a retried charge gets the same answer; `tok_decline` is declined; an
 * optional latency (`PAYMENT_GATEWAY_LATENCY_MS`) stands in for the network.
 */
import { Context, Data, Effect, Layer } from "effect"
import * as Crypto from "node:crypto"
import * as Settings from "../infra/Settings.ts"

export class GatewayDeclined extends Data.TaggedError("GatewayDeclined")<{ readonly reason: string }> {}

export class PaymentGateway extends Context.Service<PaymentGateway, {
  /** Captures `amount` (a decimal string, CAD) with the client's token; `reference` makes a retry the same charge. */
  readonly charge: (charge: { readonly amount: string; readonly token: string; readonly reference: string }) => Effect.Effect<{ readonly ref: string }, GatewayDeclined>
}>()("maplehustle/payments/Gateway/PaymentGateway") {
  static readonly simulated = Layer.effect(this, Effect.gen(function*() {
    const latency = yield* Settings.int("PAYMENT_GATEWAY_LATENCY_MS", { default: 0, min: 0, max: 10_000 })
    return PaymentGateway.of({
      charge: ({ amount, token, reference }) =>
        Effect.gen(function*() {
          if (latency > 0) yield* Effect.sleep(latency)
          if (token === "tok_decline") return yield* new GatewayDeclined({ reason: "The card was declined" })
          const digest = Crypto.createHash("sha256").update(`${reference}:${amount}`).digest("hex")
          return { ref: `sim_${digest.slice(0, 24)}` }
        })
    })
  }))
}
