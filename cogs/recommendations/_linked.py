"""One consultation across servers: the home's drafts copied into a server as it links, and the home's
/consultation tally with its per-server breakdown (issue 16)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.data.guilds import ScopingArea, Stance
from bot.i18n import t
from bot.recommendations.mirrors import LinkedTally, MirrorService
from bot.recommendations.render import tally_detail_embed, tally_overview_embed

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)


class LinkedDraftsCog(commands.Cog):
    """Copies the home consultation into each server that joins it (and again when it joins again)."""

    def __init__(self, bot: ConsultationBot, mirrors: MirrorService) -> None:
        self.bot = bot
        self.mirrors = mirrors

    @commands.Cog.listener()
    async def on_consultation_server_linked(self, home_guild_id: int, guild_id: int) -> None:
        try:
            report = await self.mirrors.server_linked(home_guild_id, guild_id)
        except Exception:
            log.exception("Copying the consultation of %s into %s failed", home_guild_id, guild_id)
            return
        if report is not None:
            log.info("Published on linked server %s: %s", guild_id, " / ".join(report.notes))
        self.bot.dispatch("consultation_drafts_copied", home_guild_id, guild_id)  # done: the copies are there


def linked_tally_embed(
    tally: LinkedTally,
    number: int | None,
    areas: list[ScopingArea],
    stances: list[Stance],
    locale: object,
) -> discord.Embed:
    """The home tally: totals counted distinct across servers, then one line per server."""
    if number is None:
        embed = tally_overview_embed(tally.title, tally.stances, tally.drafts, stances)
    else:
        [row] = tally.stances
        embed = tally_detail_embed(tally.drafts[row.recommendation_id], row, tally.areas, areas, stances)
    emoji = {area.number: area.emoji for area in areas}
    lines = []
    for server in tally.servers:
        if server.share.reactors:
            tagged = " ".join(emoji[n] for n in server.top_areas if n in emoji) or "—"
            lines.append(
                t(
                    "mirrors.tally_server_line",
                    locale,
                    server=server.name,
                    reactors=server.share.reactors,
                    areas=tagged,
                )
            )
        else:
            lines.append(t("mirrors.tally_server_none", locale, server=server.name))
    embed.add_field(name=t("mirrors.tally_servers", locale), value="\n".join(lines)[:1024], inline=False)
    embed.set_footer(text=t("mirrors.tally_distinct", locale, servers=len(tally.servers)))
    return embed
