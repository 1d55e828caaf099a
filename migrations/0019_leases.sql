-- 0019: claim-then-send jobs hold a lease (claimed_by, lease_until) and are marked done only after Discord took the post, so a process killed between its claim and its post loses nothing: another claimer takes the job once the lease has run out.

-- A weekly digest's row is its claim; sent_at is set once the post went out. Rows already there were sent.
ALTER TABLE digests ADD COLUMN claimed_by TEXT;
ALTER TABLE digests ADD COLUMN lease_until TEXT;
ALTER TABLE digests ADD COLUMN sent_at TEXT;
UPDATE digests SET sent_at = created_at;

-- A reminder is sent (sent_at) after its thread post; its DMs are queued in that same transaction.
ALTER TABLE reminders ADD COLUMN claimed_by TEXT;
ALTER TABLE reminders ADD COLUMN lease_until TEXT;

-- A notice is sent (sent_at, with its outcome) after the DM or the thread post.
ALTER TABLE officehours_notices ADD COLUMN claimed_by TEXT;
ALTER TABLE officehours_notices ADD COLUMN lease_until TEXT;

-- A Discord event's start or completion is done (done_at) after Discord was told. Rows already there were.
ALTER TABLE officehours_event_phases ADD COLUMN claimed_by TEXT;
ALTER TABLE officehours_event_phases ADD COLUMN lease_until TEXT;
ALTER TABLE officehours_event_phases ADD COLUMN done_at TEXT;
UPDATE officehours_event_phases SET done_at = claimed_at;
