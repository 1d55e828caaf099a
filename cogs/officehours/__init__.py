"""Office hours: /officehours commands, the sign-up card's persistent buttons and the reminder loop."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.officehours._cog import OfficeHoursCog

if TYPE_CHECKING:
    from bot.client import ConsultationBot


async def setup(bot: ConsultationBot) -> None:
    await bot.add_cog(OfficeHoursCog(bot, bot.services.officehours, bot.services.officehours_publisher))
