-- 0004: office hours: member locale and name at sign-up, per-session reminder offsets, and an outbox of member notices sent paced and at most once across restarts.

ALTER TABLE signups ADD COLUMN locale TEXT;

ALTER TABLE signups ADD COLUMN display_name TEXT;

ALTER TABLE office_hours ADD COLUMN reminder_minutes TEXT;

-- One row per notice to one member (promotion, reminder DM, cancellation, move). A row is claimed by
-- stamping sent_at before Discord is called, so a crash can lose a notice but never repeat it.
CREATE TABLE officehours_notices (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES office_hours (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('promoted', 'reminder', 'cancelled', 'moved')),
    reminder_id INTEGER REFERENCES reminders (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    sent_at     TEXT,
    outcome     TEXT CHECK (outcome IN ('dm', 'thread', 'failed'))
);
CREATE INDEX officehours_notices_pending ON officehours_notices (sent_at, id);
CREATE INDEX signups_by_session ON signups (session_id, status, id);
