-- Migrant members (流动党员): venues (红色驿站) and their activities, RSVPs, in-person
-- attendance, and the locations members share (with their consent, kept for a limited time).
-- `cell` is the 0.1-degree grid cell of domain::geo (row * 3600 + col): nearby searches are
-- a few B-tree ranges over it, refined with the exact distance.

ALTER TABLE members ADD COLUMN location_consent_at TEXT;

CREATE TABLE venues (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    lat         REAL NOT NULL,
    lon         REAL NOT NULL,
    cell        INTEGER NOT NULL,
    address     TEXT,
    radius_km   REAL NOT NULL,
    branch_id   TEXT,
    status      TEXT NOT NULL DEFAULT 'open',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX venues_cell ON venues (cell);

-- `cell`, `lat` and `lon` repeat the venue's, so that nearby activities are found in one
-- index (in start order, per cell) without reading the table. An activity lasts at most a
-- day, so a search for what is still going on needs to look back one day only.
CREATE TABLE activities (
    id           TEXT PRIMARY KEY,
    venue_id     TEXT NOT NULL REFERENCES venues (id),
    cell         INTEGER NOT NULL,
    lat          REAL NOT NULL,
    lon          REAL NOT NULL,
    title        TEXT NOT NULL,
    description  TEXT,
    starts_at    TEXT NOT NULL,
    ends_at      TEXT NOT NULL,
    timezone     TEXT NOT NULL,
    capacity     INTEGER,
    status       TEXT NOT NULL DEFAULT 'scheduled',
    cancel_note  TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX activities_nearby ON activities (cell, starts_at, ends_at, status, lat, lon, id);
CREATE INDEX activities_venue ON activities (venue_id, starts_at);
CREATE INDEX activities_start ON activities (starts_at);

CREATE TABLE rsvps (
    activity_id  TEXT NOT NULL REFERENCES activities (id),
    member_id    INTEGER NOT NULL REFERENCES members (id),
    at           TEXT NOT NULL,
    PRIMARY KEY (activity_id, member_id)
);
CREATE INDEX rsvps_member ON rsvps (member_id);

CREATE TABLE attendance (
    activity_id  TEXT NOT NULL REFERENCES activities (id),
    member_id    INTEGER NOT NULL REFERENCES members (id),
    at           TEXT NOT NULL,
    distance_m   REAL NOT NULL,
    PRIMARY KEY (activity_id, member_id)
);

-- Every stored point, for the retention period only.
CREATE TABLE member_locations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id  INTEGER NOT NULL REFERENCES members (id),
    lat        REAL NOT NULL,
    lon        REAL NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX member_locations_member ON member_locations (member_id, at);
CREATE INDEX member_locations_at ON member_locations (at);

-- Each member's latest point; `away` repeats whether the member is away from home (kept by
-- the store with members.away_since), so that the fan-out of a new activity reads one
-- covering index of migrants' points by cell.
CREATE TABLE last_locations (
    member_id  INTEGER PRIMARY KEY REFERENCES members (id),
    lat        REAL NOT NULL,
    lon        REAL NOT NULL,
    cell       INTEGER NOT NULL,
    at         TEXT NOT NULL,
    away       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX last_locations_migrants ON last_locations (cell, at, lat, lon, member_id, away) WHERE away;
CREATE INDEX last_locations_at ON last_locations (at);
