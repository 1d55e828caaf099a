"""Linking servers end to end (issue 16): three guilds in one emulator, one bot. Invite, join with a
confirmation, refused joins (wrong, used, expired code; not an administrator), /consultation servers,
leave, removal, both audit logs, the bot removed from a linked server and added back, a channel
deleted, a permission denied, and /privacy forget across the servers of the consultation."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot.data.audit import AuditRepository
from bot.data.feedback import FeedbackRepository
from bot.data.links import LinkRepository
from bot.data.recommendations import RecommendationRepository
from bot.i18n import t
from rehearsal.emulator import InteractionResult
from rehearsal.world import World

SEND_MESSAGES = 1 << 11
MANAGE_THREADS = 1 << 34


@dataclass
class Servers:
    home: World
    forum: World  # joins with its forum channel, in Portuguese
    text: World  # joins with its text channel


@pytest.fixture
async def servers(tmp_path, database_url) -> AsyncIterator[Servers]:
    home = await World.create(tmp_path / "links.sqlite3", database_url=database_url, guild_name="Home")
    forum = await World.create(
        tmp_path / "links.sqlite3", database_url=database_url, emu=home.emu, clock=home.clock,
        guild_name="Lusophone", guild_locale="pt-BR",
    )  # fmt: skip
    text = await World.create(
        tmp_path / "links.sqlite3", database_url=database_url, emu=home.emu, clock=home.clock,
        guild_name="Arabic community", guild_locale="ar",
    )  # fmt: skip
    try:
        await home.start_bot()
        forum.bot = text.bot = home.bot
        result = await home.setup_consultation("forum")
        assert result.ephemeral, result.content
        yield Servers(home, forum, text)
    finally:
        forum.bot = text.bot = None
        await home.close()


async def invite(home: World, **options: int) -> str:
    made = await home.command("wg", "consultation invite", **options)
    assert made.ephemeral and made.content is not None
    found = re.search(r"`([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})`", made.content)
    assert found, made.content
    return found[1]


async def ask_to_join(
    world: World, code: str, channel: str = "forum", who: str = "admin"
) -> InteractionResult:
    return await world.command(
        who, "consultation join", code=code,
        channel=world.forum_id if channel == "forum" else world.text_id,
        moderator_role=world.roles["moderator"],
    )  # fmt: skip


async def confirm(world: World, asked: InteractionResult, who: str = "admin") -> str:
    assert asked.message is not None and asked.ephemeral, asked.content
    pressed = await world.emu.click_button(
        world.members[who], asked.channel_id, asked.message.id, "links:confirm"
    )
    await pressed.wait_for_followup(10)
    return pressed.followups[-1].content


async def join(world: World, code: str, channel: str = "forum") -> str:
    return await confirm(world, await ask_to_join(world, code, channel))


async def actions(world: World) -> list[str]:
    return [entry.action for entry in reversed(await AuditRepository(world.db).latest(world.guild_id))]


def name(world: World) -> str:
    return f"{world.emu.state.guilds[world.guild_id].name} ({world.guild_id})"


async def health(world: World) -> str | None:
    link = await LinkRepository(world.db).link(world.guild_id)
    return link.health if link else None


def health_changes(world: World, guild_id: int, state: str) -> asyncio.Future[object]:
    """Resolves once the bot records that ``guild_id``'s health became ``state``."""
    assert world.bot is not None
    return asyncio.ensure_future(
        world.bot.wait_for(
            "consultation_server_health", check=lambda _, g, h: (g, h) == (guild_id, state), timeout=10
        )
    )


async def servers_embed(home: World) -> dict[str, str]:
    listed = await home.command("wg", "consultation servers")
    assert listed.message is not None and listed.ephemeral
    [embed] = listed.message.embeds
    return {field["name"]: field["value"] for field in embed.get("fields", [])}


async def test_invite_join_with_confirmation_and_the_refused_joins(servers: Servers):
    home, forum, text = servers.home, servers.forum, servers.text
    code = await invite(home)
    asked = await ask_to_join(forum, code)
    assert asked.content == t(
        "links.join.explain", "en-US", home=name(home), channel=f"<#{forum.forum_id}>"
    )  # what joining means, before anything is stored
    assert await LinkRepository(home.db).home_of(forum.guild_id) is None
    assert await confirm(forum, asked) == t(
        "links.join.done", "en-US", home=name(home), channel=f"<#{forum.forum_id}>"
    )
    assert await LinkRepository(home.db).consultation_guilds(home.guild_id) == [home.guild_id, forum.guild_id]
    settings = await home.bot.guild_repository.get(forum.guild_id)  # type: ignore[union-attr]
    assert settings is not None and (settings.channel_id, settings.channel_kind) == (forum.forum_id, "forum")
    assert settings.moderator_role_id == forum.roles["moderator"]
    assert "links.joined" in await actions(home) and "links.joined" in await actions(forum)
    assert all(code not in (e.target or "") for e in await AuditRepository(home.db).latest(home.guild_id))

    def refused(result: InteractionResult, key: str, locale: str = "en-US") -> None:
        assert result.ephemeral and result.content == t(key, locale), (key, result.content)

    refused(await ask_to_join(text, "WRNG-CODE-2345"), "links.join.unknown_code")
    refused(await ask_to_join(text, code), "links.join.used")  # single use: spent by the forum server
    expiring = await invite(home, hours=1)
    home.clock.advance(hours=2)
    refused(await ask_to_join(text, expiring), "links.join.expired")
    refused(await ask_to_join(text, await invite(home), who="wg"), "access.administrator", "en-GB")
    # A code confirmed after it was revoked: the confirmation checks it again and stores nothing.
    late = await invite(home)
    asked = await ask_to_join(text, late, "text")
    revoked = await home.command("wg", "consultation revoke")
    assert revoked.content == t("links.revoke.done", "en-GB", count=2)  # with the one made for "wg"
    assert await confirm(text, asked) == t("links.join.revoked", "en-US")
    assert await LinkRepository(home.db).home_of(text.guild_id) is None

    assert await join(text, await invite(home, uses=0), "text") == t(
        "links.join.done", "en-US", home=name(home), channel=f"<#{text.text_id}>"
    )
    listed = await servers_embed(home)
    assert list(listed) == [name(forum), name(text)]
    assert t("links.health.ok", "en-GB") in listed[name(text)]
    invites = await home.command("wg", "consultation invites")
    assert invites.content is not None and invites.content.count("\n") == 4  # five codes made


async def test_leave_remove_rejoin_and_health_with_the_data_kept(servers: Servers):
    home, forum, text = servers.home, servers.forum, servers.text
    code = await invite(home, uses=0, hours=720)
    await join(forum, code)
    await join(text, code, "text")
    recommendations = RecommendationRepository(home.db)
    [first, *_] = await recommendations.all(forum.guild_id)  # the server's rows (drafts copies them)
    await FeedbackRepository(home.db).add(
        guild_id=forum.guild_id, recommendation_id=first.id, version=1, author_id=forum.members["alice"],
        body="Bom", source="form", now=home.clock.now(),
    )  # fmt: skip

    # The bot is removed from the forum server: shown as such, its data kept; added back: resumed.
    removed = health_changes(home, forum.guild_id, "bot_removed")
    home.emu.remove_bot(forum.guild_id)
    await removed
    assert await health(forum) == "bot_removed"
    listed = await servers_embed(home)
    assert t("links.health.bot_removed", "en-GB") in listed[f"{forum.guild_id}"]
    assert "1 feedback" in listed[f"{forum.guild_id}"]
    back = health_changes(home, forum.guild_id, "ok")
    home.emu.add_bot(forum.guild_id)
    await back
    assert await health(forum) == "ok"

    # A permission denied in its channel is found at once (the channel's update), and so is a permission
    # taken from the bot's role and given back (the role's update); the text server's channel deleted.
    bot_role = home.emu.state.guilds[forum.guild_id].bot_role_id
    granted = home.emu.state.guilds[forum.guild_id].roles[bot_role].permissions
    denied = health_changes(home, forum.guild_id, "permission_missing")
    home.emu.set_bot_permissions(forum.guild_id, granted & ~MANAGE_THREADS)  # @everyone lacks it too
    await denied
    restored = health_changes(home, forum.guild_id, "ok")
    home.emu.set_bot_permissions(forum.guild_id, granted)
    await restored
    denied = health_changes(home, forum.guild_id, "permission_missing")
    home.emu.set_channel_overwrite(forum.forum_id, bot_role, deny=SEND_MESSAGES)
    await denied
    deleted = health_changes(home, text.guild_id, "channel_missing")
    home.emu.delete_channel(text.text_id)
    await deleted
    assert await health(text) == "channel_missing"
    listed = await servers_embed(home)
    assert t("links.health.permission_missing", "en-GB", detail="send_messages") in listed[name(forum)]
    assert await health(forum) == "permission_missing"
    home_actions = await actions(home)
    for action in ("links.health.bot_removed", "links.health.ok", "links.health.channel_missing"):
        assert action in home_actions

    # Leaving (the joined server's administrator, confirmed) and removal (the home working group).
    asked = await forum.command("admin", "consultation leave")
    assert asked.content == t("links.leave.explain", "en-US", home=name(home))
    assert await confirm(forum, asked) == t("links.leave.done", "en-US", home=name(home))
    choices = await home.emu.autocomplete(
        home.members["wg"], home.guild_id, "consultation remove-server", option="server", value=""
    )
    assert [c["value"] for c in choices] == [str(text.guild_id)]
    removed = await home.command("wg", "consultation remove-server", server=str(text.guild_id))
    assert removed.content == t("links.remove.done", "en-GB", server=name(text))
    assert await LinkRepository(home.db).consultation_guilds(home.guild_id) == [home.guild_id]
    assert {"links.left", "links.removed"} <= set(await actions(home))
    assert "links.left" in await actions(forum) and "links.removed" in await actions(text)

    # Joining again resumes, with the data so far.
    home.clock.advance(timedelta(hours=1))
    await join(forum, code)
    figures = await LinkRepository(home.db).figures(forum.guild_id)
    assert figures.feedback == 1
    assert await health(forum) == "permission_missing"  # checked again at the join: still denied


async def test_privacy_forget_on_a_linked_server_forgets_the_member_on_every_server(servers: Servers):
    home, forum = servers.home, servers.forum
    await join(forum, await invite(home))
    alice = home.members["alice"]
    home.emu.add_member(forum.guild_id, alice)  # a member of both servers
    feedback = FeedbackRepository(home.db)
    for world in (home, forum):
        [first, *_] = await RecommendationRepository(home.db).all(world.guild_id)
        await feedback.add(
            guild_id=world.guild_id, recommendation_id=first.id, version=1, author_id=alice,
            body="Yes", source="form", now=home.clock.now(),
        )  # fmt: skip
    asked = await forum.emu.run_command(alice, forum.guild_id, "privacy forget", channel_id=forum.text_id)
    await asked.wait(10)
    assert asked.message is not None
    pressed = await forum.emu.click_button(alice, asked.channel_id, asked.message.id, "privacy:forget")
    await pressed.wait_for_followup(10)
    answer = pressed.followups[-1].content
    assert t("privacy.forgotten_servers", "en-US", count=2) in answer
    assert t("privacy.forgotten", "en-US", feedback=2, signups=0, reactions=0, removed=0) in answer
    registry = home.bot.services.forgotten  # type: ignore[union-attr]
    assert registry.contains(home.guild_id, alice) and registry.contains(forum.guild_id, alice)
    for world in (home, forum):
        assert await feedback.export_author(world.guild_id, alice) == []
        assert "privacy.forget" in await actions(world)
