"""The emulator in a process of its own (``python -m rehearsal.emulator``) and the bot as
``python -m bot run``, each started and stopped from here: the set-up in which the figures are the bot's
own, not shared with the emulator in one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp


class RemoteError(RuntimeError):
    """The emulator refused a control call; the message is its sentence."""


class RemoteEmulator:
    """A client of the emulator's control API (see ``rehearsal/emulator/__main__.py``)."""

    def __init__(self, process: asyncio.subprocess.Process, info: dict[str, Any]) -> None:
        self.process = process
        self.info = info
        self.api_base: str = info["api_base"]
        self.token: str = info["token"]
        self.control: str = info["control"]
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))

    @classmethod
    async def start(
        cls, *options: str, timeout: float = 60, environment: dict[str, str] | None = None
    ) -> RemoteEmulator:
        """Start ``python -m rehearsal.emulator [options]`` (with ``environment`` added to this process's
        own); return once it listens."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "rehearsal.emulator",
            *options,
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, **(environment or {})},
        )
        assert process.stdout is not None
        try:
            line = await asyncio.wait_for(process.stdout.readline(), timeout)
            if not line:
                raise RuntimeError(f"the emulator exited with {await process.wait()} before listening")
            return cls(process, json.loads(line))
        except BaseException:
            if process.returncode is None:
                process.kill()
                await process.wait()
            raise

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        async with self._session.post(f"{self.control}{path}", json=body) as response:
            payload = await response.json()
        if response.status != 200:
            raise RemoteError(payload.get("error", f"HTTP {response.status}"))
        return payload["result"]

    async def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Any public method of ``DiscordEmulator``, run in the emulator's process."""
        return await self._post(f"/call/{method}", {"args": list(args), "kwargs": kwargs})

    async def wait(
        self, interaction: dict[str, Any], timeout: float = 10, followups: int = 0
    ) -> dict[str, Any]:
        """An interaction's summary once the bot answered it (and sent ``followups`` followups)."""
        return await self._post(f"/wait/{interaction['id']}", {"timeout": timeout, "followups": followups})

    async def command(
        self,
        user_id: int,
        guild_id: int,
        command: str,
        timeout: float = 30,
        followups: int = 0,
        **options: Any,
    ) -> dict[str, Any]:
        """A member runs a slash command; returns the answered interaction's summary."""
        started = await self.call("run_command", user_id, guild_id, command, options)
        return await self.wait(started, timeout, followups)

    async def click_many(
        self, clicks: list[tuple[int, int, int, str]], spread: float = 0, timeout: float = 60
    ) -> list[float | None]:
        """First-answer times (s) of clicks dispatched in the emulator's process; None: not answered."""
        return await self._post("/click_many", {"clicks": clicks, "spread": spread, "timeout": timeout})

    async def members(self, guild_id: int, count: int, prefix: str = "member") -> list[int]:
        """``count`` new members of the guild (one call however many)."""
        return await self._post("/members", {"guild_id": guild_id, "count": count, "prefix": prefix})

    async def components(self, prefix: str) -> list[dict[str, Any]]:
        return await self._post("/components", {"prefix": prefix})

    async def connected(self) -> int:
        async with self._session.get(f"{self.control}/info") as response:
            return int((await response.json())["connected"])

    async def wait_for_ready(self, count: int = 1, timeout: float = 60) -> None:
        await self.call("wait_for_ready", count, timeout)

    def bot_environment(self, database: Path, **more: str) -> dict[str, str]:
        """The environment that points ``python -m bot run`` at this emulator."""
        environment = dict(os.environ)
        environment.pop("DISCORD_TOKEN_FILE", None)
        environment.update(
            {
                "DISCORD_TOKEN": self.token,
                "DISCORD_API_BASE": self.api_base,
                "DATABASE_PATH": str(database),
                "LOG_LEVEL": "WARNING",
                **more,
            }
        )
        return environment

    async def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM; the exit code (None if it had to be killed)."""
        await self._session.close()
        return await terminate(self.process, timeout)


class BotProcess:
    """``python -m bot run`` against a remote emulator; its log (stderr) is read as it comes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._connected = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(
        cls, emu: RemoteEmulator, database: Path, *options: str, timeout: float = 60, **environment: str
    ) -> BotProcess:
        """Start it; return once it logged that it is connected (``on_ready``: the guilds are known)."""
        environment.setdefault("LOG_LEVEL", "INFO")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            *options,
            env=emu.bot_environment(database, **environment),
            stderr=asyncio.subprocess.PIPE,
        )
        bot = cls(process)
        waiter = asyncio.create_task(bot._connected.wait())
        done, _ = await asyncio.wait(
            {waiter, bot._reader}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if waiter not in done:
            waiter.cancel()
            await bot.stop(5)
            tail = "\n".join(bot.lines[-20:])
            raise RuntimeError(f"python -m bot run was not connected within {timeout} s:\n{tail}")
        return bot

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            line = raw.decode(errors="replace").rstrip()
            self.lines.append(line)
            if len(self.lines) > 5000:
                del self.lines[:1000]
            if "Connected as" in line:
                self._connected.set()

    def saw(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    async def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM; the exit code (None if it had to be killed), once its log is read to the end."""
        code = await terminate(self.process, timeout)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._reader, 5)
        return code


async def terminate(process: asyncio.subprocess.Process, timeout: float = 30) -> int | None:
    """SIGTERM, then SIGKILL after ``timeout``; the exit code of a clean stop, None if killed."""
    if process.returncode is not None:
        return process.returncode
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        return await asyncio.wait_for(process.wait(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        return None
