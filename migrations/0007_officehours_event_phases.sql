-- 0007: office hours: the bot starts and completes each session's Discord event once, across restarts (a row claims a phase before Discord is called).

CREATE TABLE officehours_event_phases (
    session_id INTEGER NOT NULL REFERENCES office_hours (id) ON DELETE CASCADE,
    phase      TEXT NOT NULL CHECK (phase IN ('active', 'completed')),
    claimed_at TEXT NOT NULL,
    PRIMARY KEY (session_id, phase)
);
