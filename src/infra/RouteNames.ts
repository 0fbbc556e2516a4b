/**
 * Names HTTP server spans by method and route template, as trace viewers
 * expect (`GET /services/{id}`): the span starts before routing, so the
 * template is found here from the API's own endpoint list.
 */
import { Layer } from "effect"
import { HttpMiddleware, type HttpServerRequest } from "effect/http"
import { HttpApi, type HttpApiGroup } from "effect/http-api"

interface Template {
  readonly method: string
  readonly pattern: RegExp
  readonly name: string
  readonly params: number
}

/** `(method, path) → "/services/{id}"` for every endpoint of `api`; static segments win over parameters. */
export const templatesOf = <Id extends string, Groups extends HttpApiGroup.Constraint>(api: HttpApi.HttpApi<Id, Groups>) => {
  const templates: Array<Template> = []
  HttpApi.reflect(api, {
    onGroup: () => {},
    onEndpoint: ({ endpoint }) => {
      const segments = endpoint.path.split("/")
      templates.push({
        method: endpoint.method,
        pattern: new RegExp(`^${segments.map((s) => s.startsWith(":") ? "[^/]+" : s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("/")}/?$`),
        name: segments.map((s) => s.startsWith(":") ? `{${s.slice(1)}}` : s).join("/"),
        params: segments.filter((s) => s.startsWith(":")).length
      })
    }
  })
  templates.sort((a, b) => a.params - b.params)
  return (method: string, path: string) =>
    templates.find((t) => (t.method === method || (method === "HEAD" && t.method === "GET")) && t.pattern.test(path))?.name
}

export const spanNames = <Id extends string, Groups extends HttpApiGroup.Constraint>(api: HttpApi.HttpApi<Id, Groups>) => {
  const templateOf = templatesOf(api)
  return Layer.succeed(HttpMiddleware.SpanNameGenerator, (request: HttpServerRequest.HttpServerRequest) => {
    const template = templateOf(request.method, request.url.split("?")[0]!)
    return template === undefined ? request.method : `${request.method} ${template}`
  })
}
