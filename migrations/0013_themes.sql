-- 0013: themes: a sentence embedding per feedback item, the working group's themes and their items, the draft versions that addressed them, and the notices owed to their authors.

-- One vector per visible item (int8 with a scale: 512 bytes); removed when the item is deleted, hidden,
-- withdrawn or forgotten. ``seen_updated`` is feedback.updated_at when last checked and ``text_hash`` the
-- text embedded, so a status change is cheap to notice and only a changed text is embedded again.
CREATE TABLE feedback_embeddings (
    feedback_id  INTEGER PRIMARY KEY REFERENCES feedback (id) ON DELETE CASCADE,
    guild_id     INTEGER NOT NULL,
    model        TEXT NOT NULL,
    text_hash    TEXT NOT NULL,
    seen_updated TEXT NOT NULL,
    language     TEXT,
    scale        REAL NOT NULL,
    vector       BLOB NOT NULL,
    computed_at  TEXT NOT NULL
);
CREATE INDEX feedback_embeddings_by_guild ON feedback_embeddings (guild_id);

-- 'suggested': the latest /themes suggest (replaced by the next one); 'accepted': named by the working
-- group; 'merged': folded into ``merged_into``.
CREATE TABLE themes (
    id                INTEGER PRIMARY KEY,
    guild_id          INTEGER NOT NULL,
    recommendation_id INTEGER REFERENCES recommendations (id) ON DELETE CASCADE,
    name              TEXT,
    status            TEXT NOT NULL CHECK (status IN ('suggested', 'accepted', 'merged')),
    merged_into       INTEGER REFERENCES themes (id) ON DELETE SET NULL,
    created_by        INTEGER,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX themes_by_guild ON themes (guild_id, status);

-- An item's place: confirmed in a theme ('accepted'), proposed ('suggested'), or marked as fitting none.
CREATE TABLE theme_items (
    feedback_id INTEGER PRIMARY KEY REFERENCES feedback (id) ON DELETE CASCADE,
    guild_id    INTEGER NOT NULL,
    theme_id    INTEGER REFERENCES themes (id) ON DELETE CASCADE,
    status      TEXT NOT NULL CHECK (status IN ('accepted', 'suggested', 'not_fitting')),
    similarity  REAL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX theme_items_by_theme ON theme_items (theme_id);
CREATE INDEX theme_items_by_guild ON theme_items (guild_id, status);

-- "You said, we changed": a version of a draft that addresses a theme, and how, in one line.
CREATE TABLE theme_addressed (
    id                INTEGER PRIMARY KEY,
    guild_id          INTEGER NOT NULL,
    theme_id          INTEGER NOT NULL REFERENCES themes (id) ON DELETE CASCADE,
    recommendation_id INTEGER NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
    version           INTEGER NOT NULL,
    note              TEXT NOT NULL,
    actor_id          INTEGER,
    created_at        TEXT NOT NULL,
    UNIQUE (theme_id, recommendation_id, version)
);

-- One notice per author per version (once each, however many of their items the themes hold);
-- ``private``: told by DM or at their next command (an anonymous item), else in the draft's thread.
CREATE TABLE theme_notices (
    id                INTEGER PRIMARY KEY,
    guild_id          INTEGER NOT NULL,
    recommendation_id INTEGER NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
    version           INTEGER NOT NULL,
    author_id         INTEGER NOT NULL,
    private           INTEGER NOT NULL CHECK (private IN (0, 1)),
    locale            TEXT,
    theme_ids         TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    delivered_at      TEXT,
    delivered_via     TEXT,
    UNIQUE (guild_id, recommendation_id, version, author_id)
);
CREATE INDEX theme_notices_pending ON theme_notices (guild_id, author_id, delivered_at);
