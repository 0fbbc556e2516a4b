import { ddl, updatedAtTrigger } from "./ddl.ts"

/**
 * Handmade items and their orders. Stock can never go negative (a CHECK, so a
 * racing conditional UPDATE fails instead of overselling). Order lines keep a
 * snapshot of name and price; totals are checked to add up.
 */
export default ddl(
  `CREATE TABLE item_categories (
     id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
     name citext NOT NULL UNIQUE CHECK (char_length(name) BETWEEN 2 AND 100),
     description text CHECK (char_length(description) <= 1000),
     created_at timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE TABLE items (
     id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
     provider_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     category_id uuid REFERENCES item_categories (id) ON DELETE SET NULL,
     name text NOT NULL CHECK (char_length(name) BETWEEN 2 AND 200 AND name = btrim(name)),
     description text CHECK (char_length(description) <= 5000),
     price numeric(10, 2) NOT NULL CHECK (price >= 0 AND price <= 100000),
     inventory_quantity integer NOT NULL CHECK (inventory_quantity >= 0),
     search tsvector GENERATED ALWAYS AS (
       setweight(to_tsvector('english', name), 'A') || setweight(to_tsvector('english', coalesce(description, '')), 'B')
     ) STORED,
     created_at timestamptz NOT NULL DEFAULT now(),
     updated_at timestamptz NOT NULL DEFAULT now(),
     deleted_at timestamptz
   )`,
  `CREATE INDEX items_search_idx ON items USING gin (search) WHERE deleted_at IS NULL`,
  `CREATE INDEX items_newest_idx ON items (created_at DESC, id DESC) WHERE deleted_at IS NULL`,
  `CREATE INDEX items_provider_idx ON items (provider_id, created_at DESC, id DESC) WHERE deleted_at IS NULL`,
  `CREATE INDEX items_category_idx ON items (category_id, created_at DESC, id DESC) WHERE deleted_at IS NULL`,
  `CREATE INDEX items_price_idx ON items (price, id) WHERE deleted_at IS NULL`,
  `CREATE INDEX items_name_prefix_idx ON items (lower(name) text_pattern_ops) WHERE deleted_at IS NULL`,
  updatedAtTrigger("items"),
  `CREATE TABLE item_tags (
     item_id uuid NOT NULL REFERENCES items (id) ON DELETE CASCADE,
     tag citext NOT NULL CHECK (char_length(tag) BETWEEN 1 AND 50),
     PRIMARY KEY (item_id, tag)
   )`,
  `CREATE INDEX item_tags_tag_idx ON item_tags (tag)`,
  `CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped', 'delivered', 'canceled', 'refunded')`,
  `CREATE TABLE orders (
     id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
     client_id uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
     status order_status NOT NULL DEFAULT 'pending',
     subtotal numeric(12, 2) NOT NULL CHECK (subtotal >= 0),
     tax_amount numeric(12, 2) NOT NULL CHECK (tax_amount >= 0),
     platform_fee numeric(12, 2) NOT NULL CHECK (platform_fee >= 0 AND platform_fee <= subtotal),
     total_amount numeric(12, 2) NOT NULL,
     currency char(3) NOT NULL DEFAULT 'CAD' CHECK (currency = 'CAD'),
     shipping_address jsonb NOT NULL CHECK (jsonb_typeof(shipping_address) = 'object'),
     shipping_province_code char(2) NOT NULL REFERENCES canadian_provinces (code) ON DELETE RESTRICT,
     stock_restored_at timestamptz,
     paid_at timestamptz,
     shipped_at timestamptz,
     delivered_at timestamptz,
     canceled_at timestamptz,
     created_at timestamptz NOT NULL DEFAULT now(),
     updated_at timestamptz NOT NULL DEFAULT now(),
     CONSTRAINT orders_total_adds_up CHECK (total_amount = subtotal + tax_amount)
   )`,
  `CREATE INDEX orders_client_idx ON orders (client_id, created_at DESC, id DESC)`,
  `CREATE INDEX orders_delivered_idx ON orders (delivered_at) WHERE status = 'delivered'`,
  `CREATE INDEX orders_created_at_idx ON orders (created_at)`,
  updatedAtTrigger("orders"),
  `CREATE TABLE order_items (
     order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
     item_id uuid NOT NULL REFERENCES items (id) ON DELETE RESTRICT,
     seller_id uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
     name text NOT NULL,
     quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
     unit_price numeric(10, 2) NOT NULL CHECK (unit_price >= 0),
     line_total numeric(12, 2) NOT NULL,
     PRIMARY KEY (order_id, item_id),
     CONSTRAINT order_items_line_total CHECK (line_total = quantity * unit_price)
   )`,
  `CREATE INDEX order_items_item_idx ON order_items (item_id)`,
  `CREATE INDEX order_items_seller_idx ON order_items (seller_id, order_id)`,
  `CREATE TABLE shipments (
     id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
     order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
     seller_id uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
     carrier text NOT NULL CHECK (char_length(carrier) BETWEEN 1 AND 100),
     tracking_number text NOT NULL CHECK (char_length(tracking_number) BETWEEN 1 AND 100),
     shipped_at timestamptz NOT NULL DEFAULT now(),
     delivered_at timestamptz,
     UNIQUE (order_id, seller_id)
   )`
)
