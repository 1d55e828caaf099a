"""/consultation invite, invites, revoke, join, servers, leave and remove-server: one consultation
across servers (issue 16), and the linked servers' health from Discord's events.

A mixin of the /consultation group cog: discord.py's ``CogMeta`` collects the app commands and
listeners of every class in the cog's MRO, so these become subcommands of the same group.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import Access, require
from bot.data.guilds import GuildSettings
from bot.data.links import Invite, JoinSettings
from bot.errors import UserError
from bot.i18n import t
from bot.links.health import health_of
from bot.links.service import DEFAULT_HOURS, MAX_HOURS, LinkedServer, LinkService
from bot.replies import respond

if TYPE_CHECKING:
    from bot.client import ConsultationBot

log = logging.getLogger(__name__)

Interaction = discord.Interaction["ConsultationBot"]
CONFIRM_SECONDS = 300


def stamp(moment: datetime, style: str = "f") -> str:
    return f"<t:{int(moment.timestamp())}:{style}>"


class Confirmation(discord.ui.View):
    """Confirm or cancel, within the interaction; only the member who asked may answer."""

    def __init__(
        self,
        member_id: int,
        locale: object,
        confirm_label: str,
        then: Callable[[Interaction], Awaitable[None]],
    ) -> None:
        super().__init__(timeout=CONFIRM_SECONDS)
        self.member_id = member_id
        self.then = then
        self.message: discord.InteractionMessage | None = None
        confirm: discord.ui.Button[Confirmation] = discord.ui.Button(
            label=confirm_label, style=discord.ButtonStyle.danger, custom_id="links:confirm"
        )
        cancel: discord.ui.Button[Confirmation] = discord.ui.Button(
            label=t("links.cancel_button", locale),
            style=discord.ButtonStyle.secondary,
            custom_id="links:cancel",
        )
        confirm.callback = self.confirm  # type: ignore[method-assign]
        cancel.callback = self.cancel  # type: ignore[method-assign]
        self.add_item(confirm)
        self.add_item(cancel)

    async def interaction_check(self, interaction: Interaction) -> bool:  # type: ignore[override]
        if interaction.user.id != self.member_id:
            raise UserError("links.not_yours")
        return True

    async def confirm(self, interaction: Interaction) -> None:
        self.stop()
        await interaction.response.edit_message(view=None)
        await self.then(interaction)

    async def cancel(self, interaction: Interaction) -> None:
        self.stop()
        await interaction.response.edit_message(content=t("links.cancelled", interaction.locale), view=None)

    async def on_timeout(self) -> None:
        if self.message is not None:
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(content=t("links.expired"), view=None)

    async def on_error(self, interaction: Interaction, error: Exception, item: Any) -> None:  # type: ignore[override]
        await interaction.client.answer_error(interaction, error)


async def linked_server_choices(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
    """The home's active linked servers, by name (value: the server's id)."""
    if interaction.guild_id is None:
        return []
    service = interaction.client.services.links
    try:
        servers = await service.servers(interaction.guild_id, active_only=True)
    except UserError:
        return []
    names = [(service.server_name(s.link.guild_id), s.link.guild_id) for s in servers]
    return [
        app_commands.Choice(name=name[:100], value=str(guild_id))
        for name, guild_id in names
        if current.lower() in name.lower()
    ][:25]


async def usable_invite_choices(interaction: Interaction, current: str) -> list[app_commands.Choice[int]]:
    if interaction.guild_id is None:
        return []
    now = interaction.client.clock.now()
    invites = await interaction.client.services.links.invites(interaction.guild_id)
    return [
        app_commands.Choice(name=f"#{invite.id} ({invite.uses}/{invite.max_uses or '∞'})", value=invite.id)
        for invite in invites
        if invite.usable(now) and current in str(invite.id)
    ][:25]


class ServersCommands:
    """The /consultation subcommands that link servers, and the listeners that keep their health."""

    bot: ConsultationBot

    @property
    def links(self) -> LinkService:
        return self.bot.services.links

    # -- join codes -----------------------------------------------------------------------------

    @require(Access.WORKING_GROUP)
    @app_commands.command(
        name="invite", description="Make a code another server joins this consultation with."
    )
    @app_commands.describe(
        hours="How long the code works, in hours (default 24, at most 720 = 30 days)",
        uses="How many servers may join with it (default 1; 0 = any number)",
    )
    async def invite_command(
        self,
        interaction: Interaction,
        hours: app_commands.Range[int, 1, MAX_HOURS] = DEFAULT_HOURS,
        uses: app_commands.Range[int, 0, 100] = 1,
    ) -> None:
        assert interaction.guild_id is not None
        made = await self.links.invite(
            interaction.guild_id, interaction.user.id, hours=hours, uses=uses or None
        )
        expires = stamp(made.invite.expires_at) if made.invite.expires_at else "?"
        if made.invite.max_uses is None:
            text = t("links.invite.made_unlimited", interaction.locale, code=made.code, expires=expires)
        else:
            text = t(
                "links.invite.made",
                interaction.locale,
                code=made.code,
                expires=expires,
                uses=made.invite.max_uses,
            )
        await respond(interaction, text)

    @require(Access.WORKING_GROUP)
    @app_commands.command(name="invites", description="List this consultation's join codes and their uses.")
    async def invites_command(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None
        invites = await self.links.invites(interaction.guild_id)
        now = self.bot.clock.now()
        lines = [self.invite_line(invite, now, interaction.locale) for invite in invites[-20:]]
        await respond(interaction, "\n".join(lines) if lines else t("links.invites.none", interaction.locale))

    @staticmethod
    def invite_line(invite: Invite, now: datetime, locale: object) -> str:
        if invite.revoked_at is not None:
            state = t("links.invites.revoked", locale)
        elif invite.expires_at is not None and now >= invite.expires_at:
            state = t("links.invites.expired", locale)
        elif invite.max_uses is not None and invite.uses >= invite.max_uses:
            state = t("links.invites.used_up", locale)
        else:
            state = t("links.invites.usable", locale)
        return t(
            "links.invites.line",
            locale,
            invite=invite.id,
            uses=invite.uses,
            allowed=invite.max_uses if invite.max_uses is not None else "∞",
            created=stamp(invite.created_at, "d"),
            expires=stamp(invite.expires_at) if invite.expires_at else "∞",
            state=state,
        )

    @require(Access.WORKING_GROUP)
    @app_commands.command(name="revoke", description="Revoke a join code (or every code still usable).")
    @app_commands.describe(invite="The code's number in /consultation invites (default: every usable code)")
    @app_commands.autocomplete(invite=usable_invite_choices)
    async def revoke_command(self, interaction: Interaction, invite: int | None = None) -> None:
        assert interaction.guild_id is not None
        count = await self.links.revoke(interaction.guild_id, invite, interaction.user.id)
        await respond(interaction, t("links.revoke.done", interaction.locale, count=count))

    # -- joining, leaving, removal ------------------------------------------------------------

    @require(Access.ADMINISTRATOR)
    @app_commands.command(name="join", description="Join another server's consultation with its code.")
    @app_commands.describe(
        code="The join code the home server's working group gave you",
        channel="Where the drafts are posted here: a forum channel, or a text channel",
        working_group_role="Members with this role read this server's own share (optional)",
        moderator_role="Members with this role moderate threads and feedback here",
        digest_channel="Where this server's weekly digest is posted",
    )
    async def join_command(
        self,
        interaction: Interaction,
        code: app_commands.Range[str, 4, 40],
        channel: discord.ForumChannel | discord.TextChannel,
        working_group_role: discord.Role | None = None,
        moderator_role: discord.Role | None = None,
        digest_channel: discord.TextChannel | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        home = await self.links.offer(interaction.guild_id, code)
        settings = JoinSettings(
            channel_id=channel.id,
            channel_kind="forum" if isinstance(channel, discord.ForumChannel) else "text",
            working_group_role_id=working_group_role.id if working_group_role else None,
            moderator_role_id=moderator_role.id if moderator_role else None,
            digest_channel_id=digest_channel.id if digest_channel else None,
        )

        async def confirmed(answer: Interaction) -> None:  # re-checked: the code may be gone by now
            assert answer.guild_id is not None
            link = await self.links.join(answer.guild_id, code, answer.user.id, settings)
            if answer.guild is not None:
                await self.links.found_health(
                    link.guild_id, *health_of(answer.guild, await self.settings_of(link.guild_id))
                )
            await respond(
                answer,
                t(
                    "links.join.done",
                    answer.locale,
                    home=self.links.server_name(home),
                    channel=channel.mention,
                ),
            )

        locale = interaction.locale
        text = t("links.join.explain", locale, home=self.links.server_name(home), channel=channel.mention)
        view = Confirmation(interaction.user.id, locale, t("links.join.confirm_button", locale), confirmed)
        await interaction.response.send_message(text, view=view, ephemeral=True)
        view.message = await interaction.original_response()

    async def settings_of(self, guild_id: int) -> GuildSettings | None:
        return await self.bot.guild_repository.get(guild_id)

    @require(Access.ADMINISTRATOR)
    @app_commands.command(name="leave", description="Stop taking part in the home server's consultation.")
    async def leave_command(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None
        home = await self.links.joined_home(interaction.guild_id)

        async def confirmed(answer: Interaction) -> None:
            assert answer.guild_id is not None
            left = await self.links.leave(answer.guild_id, answer.user.id)
            await respond(answer, t("links.leave.done", answer.locale, home=self.links.server_name(left)))

        locale = interaction.locale
        text = t("links.leave.explain", locale, home=self.links.server_name(home))
        view = Confirmation(interaction.user.id, locale, t("links.leave.confirm_button", locale), confirmed)
        await interaction.response.send_message(text, view=view, ephemeral=True)
        view.message = await interaction.original_response()

    @require(Access.WORKING_GROUP)
    @app_commands.command(name="remove-server", description="Remove a linked server from this consultation.")
    @app_commands.describe(server="The linked server to remove (its data so far is kept)")
    @app_commands.autocomplete(server=linked_server_choices)
    async def remove_server_command(self, interaction: Interaction, server: str) -> None:
        assert interaction.guild_id is not None
        if not server.strip().isdigit():
            raise UserError("links.remove.unknown", server=server[:40])
        guild_id = int(server)
        name = self.links.server_name(guild_id)
        await self.links.remove(interaction.guild_id, guild_id, interaction.user.id)
        await respond(interaction, t("links.remove.done", interaction.locale, server=name))

    # -- the linked servers -------------------------------------------------------------------

    @require(Access.WORKING_GROUP)
    @app_commands.command(
        name="servers", description="The servers linked to this consultation, their figures and health."
    )
    async def servers_command(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None
        await self.recheck(interaction.guild_id)
        servers = await self.links.servers(interaction.guild_id)
        locale = interaction.locale
        embed = discord.Embed(title=t("links.servers.title", locale), colour=discord.Colour.blurple())
        if not servers:
            embed.description = t("links.servers.none", locale)
        for server in servers[:25]:
            embed.add_field(
                name=self.links.server_name(server.link.guild_id)[:256],
                value=self.server_lines(server, locale)[:1024],
                inline=False,
            )
        await respond(interaction, embed=embed)

    @staticmethod
    def server_lines(server: LinkedServer, locale: object) -> str:
        link, figures = server.link, server.figures
        status = {
            "active": t("links.status.active", locale, joined=stamp(link.joined_at, "D")),
            "left": t("links.status.left", locale, ended=stamp(link.ended_at or link.joined_at, "D")),
            "removed": t("links.status.removed", locale, ended=stamp(link.ended_at or link.joined_at, "D")),
        }[link.status]
        health = {
            "ok": t("links.health.ok", locale),
            "bot_removed": t("links.health.bot_removed", locale),
            "channel_missing": t("links.health.channel_missing", locale, detail=link.health_detail or "?"),
            "permission_missing": t(
                "links.health.permission_missing", locale, detail=link.health_detail or "?"
            ),
        }[link.health]
        figures_line = t(
            "links.servers.figures",
            locale,
            reactions=figures.reactions,
            members=figures.members_reacting,
            feedback=figures.feedback,
            signups=figures.signups,
        )
        return "\n".join((status, health, figures_line))

    async def recheck(self, home_guild_id: int) -> None:
        """Look at each active linked server of this process's shards again (a permission given back,
        a channel re-made, the bot removed while it was offline)."""
        for server in await self.links.servers(home_guild_id, active_only=True):
            guild_id = server.link.guild_id
            if not self.bot.scope.owns(guild_id):
                continue
            guild = self.bot.get_guild(guild_id)
            if guild is None:
                await self.links.found_health(guild_id, "bot_removed")
            elif not guild.unavailable:
                await self.links.found_health(guild_id, *health_of(guild, await self.settings_of(guild_id)))

    # -- Discord's events -----------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """The bot was removed from a server: a linked one is shown as such, its data kept."""
        await self.links.found_health(guild.id, "bot_removed")

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        """The bot is back on a server: a linked one resumes (its health from what the bot finds)."""
        await self.recheck_health(guild)

    @commands.Cog.listener()
    async def on_guild_role_update(self, before: discord.Role, after: discord.Role) -> None:
        """A role's permissions changed there (the bot's own, @everyone's): what the bot may do changed."""
        if before.permissions != after.permissions:
            await self.recheck_health(after.guild)

    @commands.Cog.listener()
    async def on_guild_channel_update(
        self, before: discord.abc.GuildChannel, after: discord.abc.GuildChannel
    ) -> None:
        """A channel's permission overwrites changed (the consultation channel's, or its category's)."""
        if before.overwrites != after.overwrites:
            await self.recheck_health(after.guild)

    async def recheck_health(self, guild: discord.Guild) -> None:
        """A linked server's health from what the bot finds now (nothing for any other server)."""
        if await self.links.link(guild.id) is not None:
            await self.links.found_health(guild.id, *health_of(guild, await self.settings_of(guild.id)))

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        await self.links.channel_deleted(channel.guild.id, channel.id)
