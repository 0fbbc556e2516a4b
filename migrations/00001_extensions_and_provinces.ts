import { ddl } from "./ddl.ts"

/**
 * Extensions, the shared `updated_at` trigger function, and the reference data
 * of Canada's 13 provinces and territories with their sales-tax rates.
 * Rates are kept per effective date so a change of rate is a new row, never an edit.
 */
export default ddl(
  `CREATE EXTENSION IF NOT EXISTS btree_gist`,
  `CREATE EXTENSION IF NOT EXISTS citext`,
  `CREATE EXTENSION IF NOT EXISTS pgcrypto`,
  `CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     NEW.updated_at := now();
     RETURN NEW;
   END
   $$`,
  `CREATE TABLE canadian_provinces (
     code char(2) PRIMARY KEY CHECK (code ~ '^[A-Z]{2}$'),
     name text NOT NULL UNIQUE
   )`,
  `CREATE TABLE tax_rules (
     province_code char(2) NOT NULL REFERENCES canadian_provinces (code) ON DELETE RESTRICT,
     effective_from date NOT NULL,
     gst numeric(6, 5) NOT NULL DEFAULT 0 CHECK (gst >= 0 AND gst < 1),
     pst numeric(6, 5) NOT NULL DEFAULT 0 CHECK (pst >= 0 AND pst < 1),
     hst numeric(6, 5) NOT NULL DEFAULT 0 CHECK (hst >= 0 AND hst < 1),
     total numeric(6, 5) GENERATED ALWAYS AS (gst + pst + hst) STORED,
     PRIMARY KEY (province_code, effective_from)
   )`,
  `INSERT INTO canadian_provinces (code, name) VALUES
     ('AB', 'Alberta'), ('BC', 'British Columbia'), ('MB', 'Manitoba'), ('NB', 'New Brunswick'),
     ('NL', 'Newfoundland and Labrador'), ('NS', 'Nova Scotia'), ('NT', 'Northwest Territories'),
     ('NU', 'Nunavut'), ('ON', 'Ontario'), ('PE', 'Prince Edward Island'), ('QC', 'Quebec'),
     ('SK', 'Saskatchewan'), ('YT', 'Yukon')`,
  `INSERT INTO tax_rules (province_code, effective_from, gst, pst, hst) VALUES
     ('AB', '2000-01-01', 0.05, 0, 0),
     ('BC', '2000-01-01', 0.05, 0.07, 0),
     ('MB', '2000-01-01', 0.05, 0.07, 0),
     ('NB', '2000-01-01', 0, 0, 0.15),
     ('NL', '2000-01-01', 0, 0, 0.15),
     ('NS', '2000-01-01', 0, 0, 0.15),
     ('NT', '2000-01-01', 0.05, 0, 0),
     ('NU', '2000-01-01', 0.05, 0, 0),
     ('ON', '2000-01-01', 0, 0, 0.13),
     ('PE', '2000-01-01', 0, 0, 0.15),
     ('QC', '2000-01-01', 0.05, 0.09975, 0),
     ('SK', '2000-01-01', 0.05, 0.06, 0),
     ('YT', '2000-01-01', 0.05, 0, 0)`
)
