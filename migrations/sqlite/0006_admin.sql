-- Admin actions and refusals, for the record.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    member_id  INTEGER NOT NULL REFERENCES members (id),
    command    TEXT NOT NULL,
    args       TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
