/**
 * Typed readers for the service's environment settings.
 *
 * Each Layer reads what it needs through these, so a missing or malformed value
 * fails start-up with a `ConfigError` naming the variable (see `main.ts`).
 */
import { Config, Duration, Result, Schema } from "effect"
import { decodeIssues, summarizeIssues } from "../domain/Errors.ts"

const IntFromString = Schema.NumberFromString.check(Schema.isInt())

/** A whole number within `[min, max]`, with a default when unset. */
export const int = (name: string, options: { readonly default: number; readonly min: number; readonly max?: number }) =>
  Config.schema(
    IntFromString.check(
      Schema.isGreaterThanOrEqualTo(options.min),
      Schema.isLessThanOrEqualTo(options.max ?? Number.MAX_SAFE_INTEGER)
    ),
    name
  ).pipe(Config.withDefault(options.default))

/** A duration given in milliseconds (`*_MS` variables). */
export const millis = (name: string, defaultMs: number, min = 1) =>
  int(name, { default: defaultMs, min }).pipe(Config.map(Duration.millis))

/** A duration given in seconds (`*_S` variables). */
export const seconds = (name: string, defaultS: number, min = 1) =>
  int(name, { default: defaultS, min }).pipe(Config.map(Duration.seconds))

/** `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`), with a default. */
export const flag = (name: string, defaultValue: boolean) => Config.Boolean(name).pipe(Config.withDefault(defaultValue))

const entries = (raw: string) => raw.split(",").map((s) => s.trim()).filter((s) => s.length > 0)

/** A comma-separated list. */
export const list = (name: string, defaultValue: ReadonlyArray<string>): Config.Config<ReadonlyArray<string>> =>
  Config.String(name).pipe(Config.map(entries), Config.withDefault(defaultValue))

/**
 * A comma-separated list of what `parse` makes of each entry, empty when
 * unset; entries it refuses fail start-up, named after `refused`.
 */
export const listOf = <A>(name: string, parse: (entry: string) => Result.Result<A, unknown>, refused: string) =>
  Config.schema(
    Schema.String.check(Schema.makeFilter((raw: string) => {
      const bad = entries(raw).filter((entry) => Result.isFailure(parse(entry)))
      return bad.length === 0 || `${refused}: ${bad.join(", ")}`
    })),
    name
  ).pipe(
    Config.map((raw): ReadonlyArray<A> => entries(raw).map((entry) => Result.getOrThrow(parse(entry)))),
    Config.withDefault([])
  )

/** `DATA_DIR`: where files, backups, outboxes and the embedded database live. */
export const dataDir = Config.String("DATA_DIR").pipe(Config.withDefault("./var"))

/** `REDIS_KEY_PREFIX`: the first segment of every Redis key, so deployments can share one Redis. */
export const redisKeyPrefix = Config.String("REDIS_KEY_PREFIX").pipe(Config.withDefault("maplehustle"))

/** `NODE_ENV=production` switches development conveniences off. */
export const isProduction = Config.String("NODE_ENV").pipe(
  Config.withDefault("development"),
  Config.map((env) => env === "production")
)

/** One line naming each offending variable and what is wrong with it (never its value). */
export const describeConfigError = (error: Config.ConfigError): string =>
  Schema.isSchemaError(error.cause) ? summarizeIssues(decodeIssues(error.cause.issue)) : error.message
