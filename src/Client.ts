/**
 * The typed client of the API, derived from the same `Api` the server runs:
 * TypeScript consumers (apps, partner integrations, our own tests) get every
 * route, payload and tagged error checked at compile time.
 *
 * ```ts
 * const client = yield* makeApiClient("https://api.maplehustle.ca")
 * const ready = yield* client.ready()
 * ```
 */
import { HttpApiClient } from "effect/http-api"
import { Api } from "./Api.ts"

export const makeApiClient = (baseUrl?: string) =>
  HttpApiClient.make(Api, baseUrl === undefined ? {} : { baseUrl })
