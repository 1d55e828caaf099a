"""Leases for claim-then-send jobs (weekly digests, reminders, notices, event phases).

A job's row is claimed by writing who holds it (``claimed_by``) and until when (``lease_until``), and it is
marked done only after Discord took the post. A process killed between the two leaves the lease behind;
once it has run out, another claimer (the restarted process or any other of the same shards) takes the
job, exactly once: the claim is one conditional statement (``FOR UPDATE SKIP LOCKED`` or an upsert's
``WHERE``), so two claimers never both win. The lease is long beside a post (seconds) so a slow post is
not taken over while it is still running; a crash after the post and before the mark is the one window
left, a few milliseconds wide, where a post can repeat.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import datetime, timedelta

from bot.clock import to_db

LEASE = timedelta(minutes=3)

# Who this process is in ``claimed_by``: host, pid and a random tail (a pid is reused after a restart).
CLAIMER = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"

# A claimable row: never claimed, or its lease ran out (``?`` is now).
FREE = "({column} IS NULL OR {column} <= ?)"


def free(alias: str = "") -> str:
    """The condition (``?``: now) that a row's lease is free: never claimed or run out."""
    column = f"{alias}.lease_until" if alias else "lease_until"
    return FREE.format(column=column)


def until(now: datetime, lease: timedelta = LEASE) -> str:
    """``lease_until`` of a claim taken at ``now``."""
    return to_db(now + lease)
