-- 0015: digest speed: the cross-tab kept as it changes (members per post and pair of emoji), read instead of recomputed from every reaction.

-- (message_id, a, b): members who reacted with both a and b (both orders stored); (message_id, a, a): with a;
-- (message_id, '', ''): with anything. Kept by every writer of reactions in its own transaction
-- (bot/data/reaction_pairs.py), filled here from the rows already stored.
CREATE TABLE reaction_pairs (
    message_id INTEGER NOT NULL REFERENCES posts (message_id) ON DELETE CASCADE,
    emoji_a    TEXT NOT NULL,
    emoji_b    TEXT NOT NULL,
    members    INTEGER NOT NULL,
    PRIMARY KEY (message_id, emoji_a, emoji_b)
);

INSERT INTO reaction_pairs (message_id, emoji_a, emoji_b, members)
    SELECT a.message_id, a.emoji, b.emoji, COUNT(*) FROM reactions a
    JOIN reactions b ON b.message_id = a.message_id AND b.user_id = a.user_id
    GROUP BY a.message_id, a.emoji, b.emoji;

INSERT INTO reaction_pairs (message_id, emoji_a, emoji_b, members)
    SELECT message_id, '', '', COUNT(DISTINCT user_id) FROM reactions GROUP BY message_id;
