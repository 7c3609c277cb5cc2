-- callreg SQLite schema, version 7: record downloads to retry.
--
-- A finish with a RECORD_URL, on an engine with a record fetcher, remembers the download in
-- its own transaction; attaching the record forgets it. A download whose first attempt did
-- not attach the record is retried once, when due (a minute after the finish, as Bitrix's
-- retry agent), by `Engine::retry_record_downloads`. One row per call; the rows are the
-- downloads of the last minute's finishes and of failed first attempts, found by due time.

CREATE TABLE record_download (
    call_id TEXT PRIMARY KEY NOT NULL,
    url     TEXT NOT NULL,
    due     TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX record_download_by_due ON record_download (due, call_id);
