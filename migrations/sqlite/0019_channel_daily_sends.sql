-- A channel's daily budget of messages (WeCom: per app, the corp's accounts x 200 a day):
-- the couriers of all processes reserve what they send here, per channel and local day of
-- the channel (WeCom's is China's), and never beyond the budget. `last_grant` is what the
-- latest reservation got (set in the same UPDATE, so that it reads the row it changed).
CREATE TABLE channel_daily_sends (
    channel     TEXT NOT NULL,
    day         TEXT NOT NULL,
    messages    INTEGER NOT NULL DEFAULT 0,
    last_grant  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (channel, day)
);
