-- 0021: office hours across linked servers (issue 16): each server a home session is offered on (its card, event and thread), the server each sign-up came from, and each server's reminder posts claimed once.

-- The server whose card the member clicked (NULL in rows from before: the session's own server).
ALTER TABLE signups ADD COLUMN guild_id INTEGER;

-- A session scheduled at home with "everywhere": offered on every active linked server, also those
-- linking later.
ALTER TABLE office_hours ADD COLUMN offered_everywhere INTEGER NOT NULL DEFAULT 0;

-- A home session offered on a linked server: 'pending' until the process owning that server posts its
-- card and event ('active'); 'withdrawn' once the server left or was removed (its sign-ups are kept).
CREATE TABLE officehours_offers (
    session_id         INTEGER NOT NULL REFERENCES office_hours (id) ON DELETE CASCADE,
    guild_id           INTEGER NOT NULL,
    status             TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'withdrawn')),
    card_channel_id    INTEGER,
    card_message_id    INTEGER,
    thread_id          INTEGER,
    scheduled_event_id INTEGER,
    problem            TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    PRIMARY KEY (session_id, guild_id)
);
CREATE INDEX officehours_offers_by_guild ON officehours_offers (guild_id, status);

-- A reminder posted in one linked server's thread, claimed (inserted) before Discord is called: each
-- server's attendees are reminded at most once, by the process owning that server.
CREATE TABLE officehours_offer_reminders (
    reminder_id INTEGER NOT NULL REFERENCES reminders (id) ON DELETE CASCADE,
    guild_id    INTEGER NOT NULL,
    claimed_at  TEXT NOT NULL,
    PRIMARY KEY (reminder_id, guild_id)
);
