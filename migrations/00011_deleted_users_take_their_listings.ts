import { ddl } from "./ddl.ts"

/**
 * A user who is deleted takes their services and items with them, in the same
 * statement. With that guaranteed here, searches rank services and items
 * without joining every provider first (a hash of all users cost two thirds of
 * a broad full-text search), and join users only for the page they return.
 */
export default ddl(
  `CREATE FUNCTION users_delete_listings() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     UPDATE services SET deleted_at = NEW.deleted_at WHERE provider_id = NEW.id AND deleted_at IS NULL;
     UPDATE items SET deleted_at = NEW.deleted_at WHERE provider_id = NEW.id AND deleted_at IS NULL;
     RETURN NULL;
   END
   $$`,
  `CREATE TRIGGER users_delete_listings AFTER UPDATE OF deleted_at ON users
     FOR EACH ROW WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL)
     EXECUTE FUNCTION users_delete_listings()`
)
