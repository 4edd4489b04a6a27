-- `weike import activities --notify` writes its rows in short transactions and tells the
-- migrant members near each venue about its new activities afterwards. A new activity
-- written by such an import is marked here until its announcement is queued: an import
-- killed between the two leaves its new activities marked, and the next `--notify`
-- import (a rerun of the same file) announces them, although they are not new any more.
-- The outbox dedup keys (`activity-new:<activity>:<member>`) keep a member from being
-- told twice.
ALTER TABLE activities ADD COLUMN announce_pending BOOLEAN NOT NULL DEFAULT 0;
CREATE INDEX activities_announce_pending ON activities (id) WHERE announce_pending;
