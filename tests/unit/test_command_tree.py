"""Every extension loads, no two commands collide, and every command declares who may run it."""

from bot.access import Access
from tests.commands import walk


async def test_extensions_load_without_collisions(loaded_bot):
    tree = loaded_bot.tree
    names = [command.qualified_name for command in walk(tree.get_commands())]
    assert len(names) == len(set(names)), "two commands share a name"
    assert "consultation publish" in names
    for command in tree.get_commands():
        command.to_dict(tree)  # the payload Discord would receive builds


async def test_every_command_declares_its_access(loaded_bot):
    for command in walk(loaded_bot.tree.get_commands()):
        name = command.qualified_name
        assert isinstance(command.extras.get("access"), Access), f"/{name} has no @require"
        assert command.checks, f"/{name} is not checked at run time"
