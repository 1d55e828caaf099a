-- 0014: languages: a member's own choice (/language), drafts translated per version, and form feedback's client locale kept apart from the detected language of its text.

-- The language a member chose for the bot's answers, DMs and reminders in a guild (a catalogue code,
-- e.g. "ar", "pt-br"); no row: Discord's client locale. Erased by /privacy forget.
CREATE TABLE member_languages (
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    language   TEXT NOT NULL,
    chosen_at  TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

-- A translation of a draft's title and text, for one version of it: the newest row of a language is the
-- one shown, outdated while its version is older than the draft's current version.
CREATE TABLE recommendation_translations (
    recommendation_id INTEGER NOT NULL REFERENCES recommendations (id) ON DELETE CASCADE,
    language          TEXT NOT NULL,
    version           INTEGER NOT NULL,
    title             TEXT NOT NULL,
    body              TEXT NOT NULL DEFAULT '',
    translator_id     INTEGER,
    created_at        TEXT NOT NULL,
    PRIMARY KEY (recommendation_id, language, version)
);

-- Form feedback recorded the member's Discord locale in ``language``: move it to ``locale`` and leave
-- ``language`` to the detected language of the text (filled for older rows by the bot at start-up).
ALTER TABLE feedback ADD COLUMN locale TEXT;
UPDATE feedback SET locale = language, language = NULL WHERE source = 'form';
