import { ddl } from "./ddl.ts"

/**
 * A replayed response is the first one byte for byte: `jsonb` reorders keys,
 * so the stored body becomes the response text itself.
 */
export default ddl(
  `ALTER TABLE idempotency_keys ALTER COLUMN response_body TYPE text USING response_body::text`
)
