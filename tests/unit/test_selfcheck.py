"""The self-check's rules without Discord: who is offered a command, and which missing permission counts."""

from __future__ import annotations

import discord
import pytest

from bot.i18n import catalogue
from bot.selfcheck.permissions import (
    CONSULTATION,
    DIGEST,
    FORUM_ONLY,
    MODLOG,
    PERMISSION_NAMES,
    SERVER,
    TEXT_ONLY,
    missing,
)
from bot.selfcheck.reach import SyncedCommand, role_sees

GUILD, APP, ROLE = 1000, 77, 5
MANAGE_EVENTS = discord.Permissions(manage_events=True).value
COMMAND = SyncedCommand("consultation", 42, MANAGE_EVENTS)


def sees(overrides=None, *, permissions=0, command=COMMAND):
    return role_sees(
        command,
        overrides or {},
        application_id=APP,
        guild_id=GUILD,
        role_id=ROLE,
        permissions=permissions,
    )


def test_default_member_permissions_decide_without_overrides():
    assert not sees()
    assert sees(permissions=MANAGE_EVENTS | discord.Permissions(send_messages=True).value)
    assert sees(permissions=discord.Permissions(administrator=True).value)
    assert sees(command=SyncedCommand("feedback", 43, None))
    assert not sees(command=SyncedCommand("locked", 44, 0), permissions=MANAGE_EVENTS)


def test_overrides_for_the_role_command_level_first():
    assert sees({COMMAND.id: {ROLE: True}})
    assert sees({APP: {ROLE: True}})  # Integrations' top section: every command
    assert not sees({COMMAND.id: {ROLE: False}, APP: {ROLE: True}})
    assert sees({COMMAND.id: {ROLE: True}, APP: {ROLE: False}})
    assert not sees({COMMAND.id: {ROLE: False}}, permissions=MANAGE_EVENTS)


def test_everyone_overrides():
    assert sees({COMMAND.id: {GUILD: True}})
    assert not sees({COMMAND.id: {GUILD: False}}, permissions=MANAGE_EVENTS)
    assert not sees({APP: {GUILD: True}})  # app-wide @everyone allow: the default still applies
    assert not sees({APP: {GUILD: False}}, command=SyncedCommand("feedback", 43, None))
    assert sees({APP: {GUILD: False}, COMMAND.id: {ROLE: True}})


def test_only_root_causes_are_named():
    everything = discord.Permissions.all()
    assert missing(everything, CONSULTATION) == []
    no_view = discord.Permissions.all()
    no_view.view_channel = False
    assert [n.permission for n in missing(no_view, CONSULTATION + FORUM_ONLY)] == ["view_channel"]
    no_send = discord.Permissions.all()
    no_send.send_messages = no_send.embed_links = no_send.attach_files = False
    assert [n.permission for n in missing(no_send, DIGEST)] == ["send_messages"]
    no_reactions = discord.Permissions.all()
    no_reactions.add_reactions = False
    [need] = missing(no_reactions, CONSULTATION)
    assert need.permission == "add_reactions" and need.blocks_publish


@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_every_need_and_permission_has_its_sentence(language):
    sentences = catalogue(language)
    needs = CONSULTATION + FORUM_ONLY + TEXT_ONLY + DIGEST + MODLOG + SERVER
    for need in needs:
        assert need.without in sentences, need
        assert PERMISSION_NAMES[need.permission] in sentences, need
        assert hasattr(discord.Permissions, need.permission), need
    brief = {
        "view_channel", "send_messages", "send_messages_in_threads", "create_public_threads", "embed_links",
        "attach_files", "add_reactions", "read_message_history", "manage_threads", "manage_messages",
        "manage_events", "manage_channels",
    }  # fmt: skip
    assert {need.permission for need in needs} == brief
