"""More sections of a digest, added by other capabilities without editing the builder.

A part reads what it needs through the digest's own reader (the same snapshot, off the write
connection) and returns Markdown to append to digest.md and files to add beside the five. The themes
capability, for one, adds its Themes section and themes.csv this way:
``DigestBuilder(db, parts=[ThemesPart(...)])`` (or ``builder.parts.append(...)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.data.digest import DigestRecommendation, Reads


@dataclass(frozen=True, slots=True)
class PartInput:
    guild_id: int
    since: datetime | None
    until: datetime
    recommendations: list[DigestRecommendation]  # those the digest covers (one when it is about one)
    locale: object


@dataclass(frozen=True, slots=True)
class PartOutput:
    markdown: str = ""  # appended to digest.md after a blank line (nothing when empty)
    files: dict[str, bytes] = field(default_factory=dict)  # added after the five files, in this order


class DigestPart(Protocol):
    async def build(self, reads: Reads, data: PartInput) -> PartOutput: ...
