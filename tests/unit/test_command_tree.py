"""Every extension loads, no two commands collide, and every command declares who may run it."""

import contextlib

from discord import app_commands

from bot.access import Access
from bot.client import ConsultationBot, extension_names
from bot.config import load_settings


def walk(commands):
    for command in commands:
        if isinstance(command, app_commands.Group):
            yield from walk(command.commands)
        else:
            yield command


@contextlib.asynccontextmanager
async def loaded_bot(db):
    """Every extension loaded into a bot that never logs in (``async with`` readies its internals)."""
    async with ConsultationBot(load_settings({}), database=db) as bot:
        await bot.build_services()
        for name in extension_names():
            await bot.load_extension(name)
        try:
            yield bot
        finally:
            for name in extension_names():
                await bot.unload_extension(name)


async def test_extensions_load_without_collisions(db):
    async with loaded_bot(db) as bot:
        names = [command.qualified_name for command in walk(bot.tree.get_commands())]
        assert len(names) == len(set(names)), "two commands share a name"
        assert "consultation publish" in names
        for command in bot.tree.get_commands():
            command.to_dict(bot.tree)  # the payload Discord would receive builds


async def test_every_command_declares_its_access(db):
    async with loaded_bot(db) as bot:
        for command in walk(bot.tree.get_commands()):
            name = command.qualified_name
            assert isinstance(command.extras.get("access"), Access), f"/{name} has no @require"
            assert command.checks, f"/{name} is not checked at run time"
