-- 0016: one consultation across servers (issue 16): join codes, servers linked to a home consultation, and each linked server's copies of the home drafts.

-- A join code made by the home working group (/consultation invite). Only the code's sha256 is kept:
-- the code itself is shown once, to the member who made it.
CREATE TABLE link_invites (
    id            INTEGER PRIMARY KEY,
    home_guild_id INTEGER NOT NULL REFERENCES guild_settings (guild_id) ON DELETE CASCADE,
    code_hash     TEXT NOT NULL UNIQUE,
    created_by    INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT,
    max_uses      INTEGER CHECK (max_uses IS NULL OR max_uses > 0),
    uses          INTEGER NOT NULL DEFAULT 0,
    revoked_at    TEXT,
    revoked_by    INTEGER
);
CREATE INDEX link_invites_by_home ON link_invites (home_guild_id);

-- A server that joined a home consultation. A server takes part in one consultation: its own (no row,
-- or status not 'active') or the home's. The row stays after leaving or removal: the data so far is kept,
-- and joining again makes it active again. ``health`` is what the bot last found on that server.
CREATE TABLE linked_servers (
    guild_id          INTEGER PRIMARY KEY REFERENCES guild_settings (guild_id) ON DELETE CASCADE,
    home_guild_id     INTEGER NOT NULL REFERENCES guild_settings (guild_id) ON DELETE CASCADE,
    invite_id         INTEGER REFERENCES link_invites (id) ON DELETE SET NULL,
    joined_by         INTEGER NOT NULL,
    joined_at         TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'left', 'removed')),
    ended_by          INTEGER,
    ended_at          TEXT,
    health            TEXT NOT NULL DEFAULT 'ok'
                      CHECK (health IN ('ok', 'bot_removed', 'channel_missing', 'permission_missing')),
    health_detail     TEXT,
    health_checked_at TEXT,
    CHECK (guild_id <> home_guild_id)
);
CREATE INDEX linked_servers_by_home ON linked_servers (home_guild_id, status);

-- A linked server's copy of a home draft: its own recommendations row (so its posts, reactions, feedback
-- and its own working group's digest work as on any server), tied to the home draft it mirrors.
CREATE TABLE recommendation_mirrors (
    recommendation_id      INTEGER PRIMARY KEY REFERENCES recommendations (id) ON DELETE CASCADE,
    home_recommendation_id INTEGER NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
    UNIQUE (home_recommendation_id, recommendation_id)
);
