"""The tally cog's gateway parser: reaction payloads on a draft's post go straight to the tally."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from cogs.recommendations._tally import TallyCog

POST, OTHER, BOT_ID = 1001, 2002, 999


class Tally:
    def __init__(self) -> None:
        self.recorded: list[tuple] = []

    def is_post(self, message_id: int) -> bool:
        return message_id == POST

    def record(self, *args: Any) -> None:
        self.recorded.append(args)


def cog_with_parsers() -> tuple[TallyCog, Tally, list[tuple[str, dict]]]:
    handed: list[tuple[str, dict]] = []  # what reached discord.py's own parsers
    parsers = {
        name: (lambda data, name=name: handed.append((name, data)))
        for name in ("MESSAGE_REACTION_ADD", "MESSAGE_REACTION_REMOVE")
    }
    bot = SimpleNamespace(
        _connection=SimpleNamespace(parsers=parsers), extra_events={}, user=SimpleNamespace(id=BOT_ID)
    )
    tally = Tally()
    cog = TallyCog(bot, tally)  # type: ignore[arg-type]
    cog._install()
    return cog, tally, handed


def payload(message_id: int, user_id: int, emoji: dict, *, bot: bool = False) -> dict:
    return {
        "message_id": str(message_id),
        "user_id": str(user_id),
        "guild_id": "5",
        "emoji": emoji,
        "member": {"user": {"id": str(user_id), "bot": bot}},
    }


def test_reactions_on_a_post_reach_the_tally_without_discord_py():
    cog, tally, handed = cog_with_parsers()
    parsers = cog.bot._connection.parsers
    parsers["MESSAGE_REACTION_ADD"](payload(POST, 7, {"id": None, "name": "👍"}))
    parsers["MESSAGE_REACTION_REMOVE"](payload(POST, 7, {"id": "42", "name": "area", "animated": True}))
    parsers["MESSAGE_REACTION_ADD"](payload(POST, BOT_ID, {"id": None, "name": "👍"}))  # the bot itself
    parsers["MESSAGE_REACTION_ADD"](payload(POST, 8, {"id": None, "name": "👍"}, bot=True))  # another bot
    assert tally.recorded == [(True, POST, "👍", 7, 5), (False, POST, "<a:area:42>", 7, 5)]
    assert handed == []


def test_other_messages_and_other_listeners_still_get_discord_py():
    cog, tally, handed = cog_with_parsers()
    parsers = cog.bot._connection.parsers
    other = payload(OTHER, 7, {"id": None, "name": "👍"})
    parsers["MESSAGE_REACTION_ADD"](other)
    assert handed == [("MESSAGE_REACTION_ADD", other)] and tally.recorded == []
    cog.bot.extra_events["on_raw_reaction_add"] = [object()]  # someone else listens
    mine = payload(POST, 7, {"id": None, "name": "👍"})
    parsers["MESSAGE_REACTION_ADD"](mine)
    assert handed[-1] == ("MESSAGE_REACTION_ADD", mine) and len(tally.recorded) == 1
    broken = {"message_id": "not a number"}
    parsers["MESSAGE_REACTION_REMOVE"](broken)  # never raised into the gateway: discord.py's parse gets it
    assert handed[-1] == ("MESSAGE_REACTION_REMOVE", broken)
    cog._uninstall()
    parsers["MESSAGE_REACTION_ADD"](mine)
    assert len(tally.recorded) == 1 and handed[-1] == ("MESSAGE_REACTION_ADD", mine)
