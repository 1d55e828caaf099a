-- 0005: digest speed: members' reactions per post in (post, member, emoji) order, so the cross-tab is one index scan.

-- The primary key orders rows by (message_id, emoji, user_id); the digest groups each member's
-- reactions on a post into one row, which this covering index delivers already sorted.
CREATE INDEX reactions_by_member ON reactions (message_id, user_id, emoji);

-- Visible, active feedback: the listing of a period per recommendation, in time order...
CREATE INDEX feedback_digest ON feedback (guild_id, recommendation_id, created_at, id)
    WHERE status = 'active' AND hidden = 0;
-- ...and the counts per recommendation, area and language, read from the index alone (status and hidden
-- are listed too: SQLite needs them in the index to call it covering).
CREATE INDEX feedback_digest_figures
    ON feedback (guild_id, recommendation_id, scoping_area_id, language, created_at, status, hidden)
    WHERE status = 'active' AND hidden = 0;
