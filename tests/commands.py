"""The leaf commands of an application command tree (groups walked down to their subcommands)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from discord import app_commands


def walk(commands: Iterable[app_commands.Command | app_commands.Group]) -> Iterator[app_commands.Command]:
    for command in commands:
        if isinstance(command, app_commands.Group):
            yield from walk(command.commands)
        else:
            yield command
