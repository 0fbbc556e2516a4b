import { Context } from "effect"

/** The id of the HTTP request being served (`X-Request-Id`), for records that must name it; `null` outside requests. */
export const CurrentRequestId = Context.Reference<string | null>("maplehustle/infra/RequestId/CurrentRequestId", {
  defaultValue: () => null
})
