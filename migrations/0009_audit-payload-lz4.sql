-- Audit payloads (a 20-line screening's canonical JSON is ~13 KB, a DecMessage's ~45 KB with the message)
-- are compressed by TOAST when written: lz4 takes about half the database's CPU per insert that the default
-- pglz does, on the same two cores that serve the API. Only newly written values use it; existing ones
-- stay as they are and read the same. A server built without lz4 (PGlite) keeps pglz.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4'::text = ANY (enumvals)) THEN
    ALTER TABLE audit_events ALTER COLUMN payload SET COMPRESSION lz4;
  END IF;
END
$$;
