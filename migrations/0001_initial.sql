-- 0001: the schema of a whole consultation, scoped per guild so one bot serves many servers.

CREATE TABLE guild_settings (
    guild_id              INTEGER PRIMARY KEY,
    consultation_title    TEXT NOT NULL,
    channel_id            INTEGER,
    channel_kind          TEXT CHECK (channel_kind IN ('forum', 'text')),
    working_group_role_id INTEGER,
    moderator_role_id     INTEGER,
    digest_channel_id     INTEGER,
    modlog_channel_id     INTEGER,
    phase                 TEXT NOT NULL DEFAULT 'open' CHECK (phase IN ('draft', 'open', 'closed')),
    phase_changed_at      TEXT,
    closes_at             TEXT,
    digest_weekday        INTEGER NOT NULL DEFAULT 0 CHECK (digest_weekday BETWEEN 0 AND 6),
    digest_hour           INTEGER NOT NULL DEFAULT 9 CHECK (digest_hour BETWEEN 0 AND 23),
    reminder_minutes      TEXT NOT NULL DEFAULT '1440,15',
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);

CREATE TABLE scoping_areas (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL REFERENCES guild_settings (guild_id) ON DELETE CASCADE,
    number       INTEGER NOT NULL,
    name         TEXT NOT NULL,
    short_name   TEXT NOT NULL,
    emoji        TEXT NOT NULL,
    forum_tag_id INTEGER,
    UNIQUE (guild_id, number),
    UNIQUE (guild_id, emoji)
);

CREATE TABLE stances (
    guild_id INTEGER NOT NULL REFERENCES guild_settings (guild_id) ON DELETE CASCADE,
    key      TEXT NOT NULL CHECK (key IN ('support', 'oppose', 'needs_work')),
    label    TEXT NOT NULL,
    emoji    TEXT NOT NULL,
    PRIMARY KEY (guild_id, key),
    UNIQUE (guild_id, emoji)
);

CREATE TABLE recommendations (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL REFERENCES guild_settings (guild_id) ON DELETE CASCADE,
    number          INTEGER NOT NULL,
    current_version INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    UNIQUE (guild_id, number)
);

CREATE TABLE recommendation_versions (
    recommendation_id INTEGER NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
    version           INTEGER NOT NULL,
    title             TEXT NOT NULL,
    body              TEXT NOT NULL DEFAULT '',
    author_id         INTEGER,
    created_at        TEXT NOT NULL,
    PRIMARY KEY (recommendation_id, version)
);

-- A recommendation's post: a forum post (thread_id = the post) or a message with its thread.
CREATE TABLE posts (
    message_id        INTEGER PRIMARY KEY,
    guild_id          INTEGER NOT NULL,
    recommendation_id INTEGER NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
    channel_id        INTEGER NOT NULL,
    thread_id         INTEGER,
    kind              TEXT NOT NULL CHECK (kind IN ('forum', 'text')),
    status            TEXT NOT NULL DEFAULT 'live' CHECK (status IN ('live', 'deleted')),
    applied_tags      TEXT NOT NULL DEFAULT '',
    created_at        TEXT NOT NULL,
    deleted_at        TEXT
);
CREATE UNIQUE INDEX posts_one_live_per_recommendation ON posts (recommendation_id) WHERE status = 'live';
CREATE INDEX posts_by_guild ON posts (guild_id, status);
CREATE INDEX posts_by_thread ON posts (thread_id);

-- One row per (post, member, emoji): the tally is a count of rows, so replays cannot double-count.
CREATE TABLE reactions (
    message_id INTEGER NOT NULL REFERENCES posts (message_id) ON DELETE CASCADE,
    emoji      TEXT NOT NULL,
    user_id    INTEGER NOT NULL,
    reacted_at TEXT NOT NULL,
    PRIMARY KEY (message_id, emoji, user_id)
);
CREATE INDEX reactions_by_user ON reactions (user_id);

CREATE TABLE feedback (
    id                INTEGER PRIMARY KEY,
    guild_id          INTEGER NOT NULL,
    recommendation_id INTEGER NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
    version           INTEGER NOT NULL,
    scoping_area_id   INTEGER REFERENCES scoping_areas (id) ON DELETE SET NULL,
    author_id         INTEGER NOT NULL,
    anonymous         INTEGER NOT NULL DEFAULT 0 CHECK (anonymous IN (0, 1)),
    source            TEXT NOT NULL CHECK (source IN ('form', 'thread')),
    channel_id        INTEGER,
    message_id        INTEGER UNIQUE,
    body              TEXT NOT NULL,
    language          TEXT,
    status            TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deleted', 'withdrawn')),
    hidden            INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),
    hidden_reason     TEXT,
    hidden_by         INTEGER,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX feedback_by_recommendation ON feedback (guild_id, recommendation_id, created_at);
CREATE INDEX feedback_by_author ON feedback (author_id);
CREATE INDEX feedback_by_time ON feedback (guild_id, created_at);

CREATE TABLE feedback_history (
    id          INTEGER PRIMARY KEY,
    feedback_id INTEGER NOT NULL REFERENCES feedback (id) ON DELETE CASCADE,
    body        TEXT NOT NULL,
    replaced_at TEXT NOT NULL
);

CREATE TABLE feedback_responses (
    id           INTEGER PRIMARY KEY,
    feedback_id  INTEGER NOT NULL REFERENCES feedback (id) ON DELETE CASCADE,
    responder_id INTEGER NOT NULL,
    body         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    delivered_at TEXT
);
CREATE INDEX feedback_responses_by_feedback ON feedback_responses (feedback_id);

CREATE TABLE office_hours (
    id                  INTEGER PRIMARY KEY,
    guild_id            INTEGER NOT NULL,
    title               TEXT NOT NULL,
    starts_at           TEXT NOT NULL,
    duration_minutes    INTEGER NOT NULL CHECK (duration_minutes > 0),
    capacity            INTEGER NOT NULL CHECK (capacity > 0),
    location_channel_id INTEGER,
    location_text       TEXT,
    host_id             INTEGER,
    scheduled_event_id  INTEGER,
    card_channel_id     INTEGER,
    card_message_id     INTEGER,
    thread_id           INTEGER,
    status              TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    created_by          INTEGER NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX office_hours_by_guild ON office_hours (guild_id, starts_at);

CREATE TABLE signups (
    id           INTEGER PRIMARY KEY,
    session_id   INTEGER NOT NULL REFERENCES office_hours (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('confirmed', 'waitlisted', 'cancelled')),
    question     TEXT,
    dm_reminders INTEGER NOT NULL DEFAULT 0 CHECK (dm_reminders IN (0, 1)),
    signed_up_at TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (session_id, user_id)
);
CREATE INDEX signups_by_user ON signups (user_id);

CREATE TABLE reminders (
    id            INTEGER PRIMARY KEY,
    session_id    INTEGER NOT NULL REFERENCES office_hours (id) ON DELETE CASCADE,
    minutes_before INTEGER NOT NULL,
    due_at        TEXT NOT NULL,
    sent_at       TEXT,
    UNIQUE (session_id, minutes_before, due_at)
);
CREATE INDEX reminders_due ON reminders (sent_at, due_at);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    actor_id   INTEGER,
    action     TEXT NOT NULL,
    target     TEXT,
    reason     TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX audit_log_by_guild ON audit_log (guild_id, created_at);

CREATE TABLE digests (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('manual', 'weekly')),
    period_key TEXT NOT NULL,
    since      TEXT,
    created_at TEXT NOT NULL,
    figures    TEXT NOT NULL DEFAULT '{}',
    UNIQUE (guild_id, kind, period_key)
);

-- Members who asked to be forgotten, kept only as a salted hash so catch-up never re-adds them.
CREATE TABLE forgotten_members (
    guild_id     INTEGER NOT NULL,
    member_hash  TEXT NOT NULL,
    forgotten_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, member_hash)
);

CREATE TABLE bot_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
