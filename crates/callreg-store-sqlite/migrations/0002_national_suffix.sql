-- callreg SQLite schema, version 2: the index of tier 3 of number matching (matching.md:
-- the last N digits of the national number).
--
-- `national_rev` is the national number of a phone's E.164 key (the digits after the calling
-- code), reversed: `7654321594` for `+74951234567`. "The national number ends with these
-- digits" is then "`national_rev` starts with them reversed", a range of this index. NULL for
-- phones without an E.164 key, which are never matched by suffix.
--
-- The values of rows written by version 1 are filled in by the migration runner right after
-- this file (reversing text takes code SQLite does not have); later rows get theirs on insert.

ALTER TABLE crm_phone ADD COLUMN national_rev TEXT;

CREATE INDEX crm_phone_by_national_rev ON crm_phone (national_rev, entity_type, entity_id)
    WHERE national_rev IS NOT NULL;
