-- 0011: names, not numbers (the display name last seen per member, for the working group's files) and the personal-data retention setting.

-- One row per member the bot saw act in a guild: what the digest and CSV files print beside the id.
-- Erased by /privacy forget and by retention; the bot has no member cache, so this is its only source.
CREATE TABLE member_names (
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    display_name TEXT NOT NULL,
    seen_at      TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

-- Retention per guild: ``days`` after the consultation closes, member ids become pseudonyms.
-- ``applied_for`` is the closing moment (guild_settings.phase_changed_at) already processed, written in
-- the same transaction as the pseudonyms, so the job runs once per closing, also across restarts.
CREATE TABLE retention (
    guild_id    INTEGER PRIMARY KEY,
    days        INTEGER NOT NULL CHECK (days > 0),
    applied_for TEXT,
    applied_at  TEXT
);
