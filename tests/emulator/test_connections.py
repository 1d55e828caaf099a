"""The emulator takes a burst of new connections as Discord's edge does: a rush's answers each open one.

With aiohttp's default listen backlog (128) a burst overflowed the accept queue, the kernel dropped the
SYNs and clients retried 1, 3, 7, 15, 31 s later: bench.postgres's rush answered 20-39 s late, and once
timed out. Here 600 connections are opened while the emulator's loop is busy (nothing accepts): the
kernel must queue them all at once.
"""

from __future__ import annotations

import socket

from rehearsal.emulator import DiscordEmulator


async def test_a_burst_of_connections_is_queued_not_dropped(emu: DiscordEmulator) -> None:
    sockets = []
    try:
        for n in range(600):  # blocking connects on the loop's thread: the server cannot accept now
            connection = socket.socket()
            sockets.append(connection)
            connection.settimeout(0.5)  # a dropped SYN is retried only after 1 s
            try:
                connection.connect((emu.host, emu.port))
            except TimeoutError:
                raise AssertionError(f"connection {n} was not queued (listen backlog too small)") from None
    finally:
        for connection in sockets:
            connection.close()
