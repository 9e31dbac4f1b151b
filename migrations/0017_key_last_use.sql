-- When each key or OpenDK token was last accepted, for the console's "Pengguna, kunci dan token":
-- written from memory at most once a minute per hub process, never on the request itself.
ALTER TABLE "api_keys" ADD COLUMN "last_used_at" timestamp with time zone;
