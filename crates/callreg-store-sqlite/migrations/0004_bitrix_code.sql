-- callreg SQLite schema, version 4: the index of the Bitrix-code tier of number matching.
--
-- `bitrix_code` is Bitrix's normalization of the phone's value as entered
-- (`callreg_core::matching::bitrix_code`), kept only when the phone's key does not tell it
-- (`callreg_core::matching::bitrix_code_index_key`). Most phones' code is the digits of their
-- own E.164 key: `8 (495) 123-45-67` is `74951234567`, key `+74951234567`; those are found
-- through `crm_phone_by_key` under the E.164 number the code reads as, and their column is
-- NULL. The others (national forms of other countries: `030 1234567` on a German portal, code
-- `301234567`; service codes; values without a key) are indexed here. NULL too for a value
-- without digits.
--
-- The values of rows written before this version are filled in by the migration runner right
-- after this file (the code is computed by Rust code); later rows get theirs on insert.

ALTER TABLE crm_phone ADD COLUMN bitrix_code TEXT;

CREATE INDEX crm_phone_by_bitrix_code ON crm_phone (bitrix_code, entity_type, entity_id)
    WHERE bitrix_code IS NOT NULL;
