"""What the gateway path asks for each reaction event, answered from memory: is this a tracked post,
is this one of its guild's reaction options, and is the consultation counting right now?"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.data.guilds import GuildRepository
from bot.data.recommendations import RecommendationRepository


@dataclass
class ReactionFilter:
    posts: dict[int, int] = field(default_factory=dict)  # message id -> guild id
    options: dict[int, frozenset[str]] = field(default_factory=dict)  # guild id -> emoji
    counting: set[int] = field(default_factory=set)  # guilds whose phase is open

    def accepts(self, message_id: int, emoji: str) -> bool:
        guild_id = self.posts.get(message_id, 0)
        return guild_id in self.counting and emoji in self.options.get(guild_id, ())

    async def load(self, guilds: GuildRepository, recommendations: RecommendationRepository) -> None:
        self.posts = {post.message_id: post.guild_id for post in await recommendations.live_posts()}
        for guild_id in await guilds.guild_ids():
            await self.refresh_guild(guild_id, guilds)

    async def refresh_guild(self, guild_id: int, guilds: GuildRepository) -> None:
        settings = await guilds.get(guild_id)
        areas = await guilds.scoping_areas(guild_id)
        stances = await guilds.stances(guild_id)
        self.options[guild_id] = frozenset([a.emoji for a in areas] + [s.emoji for s in stances])
        if settings is not None and settings.is_open:
            self.counting.add(guild_id)
        else:
            self.counting.discard(guild_id)

    def track(self, message_id: int, guild_id: int) -> None:
        self.posts[message_id] = guild_id

    def forget(self, message_id: int) -> None:
        self.posts.pop(message_id, None)
