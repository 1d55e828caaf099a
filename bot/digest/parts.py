"""More sections of a digest, added by other capabilities without editing the builder.

A part reads what it needs through the digest's own reader (the same snapshot, off the write
connection) and returns a section for digest.md and digest.wiki and files to add beside the others. The
themes capability adds its Themes section and themes.csv this way (``bot.themes.digest_section``).
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
    files: dict[str, bytes] = field(default_factory=dict)  # added after the built-in files, in this order
    wikitext: str = ""  # the same section for digest.wiki


class DigestPart(Protocol):
    async def build(self, reads: Reads, data: PartInput) -> PartOutput: ...
