import { ddl } from "./ddl.ts"

/**
 * The batched lookup of an order's payments reads every attempt, failed ones
 * included; the unique index of successful payments leaves those out.
 */
export default ddl(
  `CREATE INDEX payments_order_idx ON payments (order_id, created_at, id) WHERE order_id IS NOT NULL`
)
