"""The composition root: every capability's service made once per bot and handed to the cogs.

Cogs never look each other up; an effect that crosses capabilities (a forget must flush the tally, a
phase change must freeze it) is a call on a service from here or a typed bot event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.audit import announce, record_action
from bot.data.languages import LanguageRepository
from bot.data.moderation import ModerationRepository
from bot.data.officehours import OfficeHoursRepository
from bot.data.people import PeopleRepository
from bot.data.recommendations import RecommendationRepository
from bot.feedback.language import LanguageDetector
from bot.feedback.service import FeedbackService
from bot.languages import MemberLanguages
from bot.links.service import LinkService
from bot.moderation.privacy import ForgottenRegistry
from bot.officehours.publisher import SessionPublisher
from bot.officehours.service import OfficeHoursService
from bot.people import NameBook
from bot.recommendations.mirrors import MirrorService
from bot.recommendations.publisher import Publisher
from bot.recommendations.service import ConsultationService
from bot.recommendations.tally import TallyService
from bot.recommendations.translations import TranslationService
from bot.themes.notices import ThemeNotifier
from bot.themes.service import ThemesService

if TYPE_CHECKING:
    from bot.client import ConsultationBot


@dataclass(frozen=True)
class Services:
    feedback: FeedbackService
    forgotten: ForgottenRegistry
    languages: MemberLanguages
    links: LinkService
    names: NameBook
    officehours: OfficeHoursService
    officehours_publisher: SessionPublisher
    publisher: Publisher
    tally: TallyService
    consultation: ConsultationService
    mirrors: MirrorService
    translations: TranslationService
    themes: ThemesService
    theme_notices: ThemeNotifier


def server_name(bot: ConsultationBot, guild_id: int) -> str:
    """ "name (id)" of a server the bot is in, else its id alone."""
    guild = bot.get_guild(guild_id)
    return f"{guild.name} ({guild_id})" if guild is not None else str(guild_id)


async def build_services(bot: ConsultationBot) -> Services:
    forgotten = ForgottenRegistry(ModerationRepository(bot.db), bot.guild_repository)
    await forgotten.load()
    publisher = Publisher(bot)
    tally = TallyService(bot, publisher, forgotten)
    mirrors = MirrorService(bot, publisher)
    officehours_repo = OfficeHoursRepository(bot.db)
    officehours = OfficeHoursService(officehours_repo, bot.guild_repository, bot.clock)
    languages = MemberLanguages(LanguageRepository(bot.db), bot.clock)
    await languages.load()
    languages.install(bot)  # every interaction's locale is the member's own language from here on
    detector = LanguageDetector()  # one model in memory (~75 MB), for thread replies and for themes
    return Services(
        feedback=FeedbackService(bot.db, bot.guild_repository, bot.clock, detector),
        forgotten=forgotten,
        languages=languages,
        links=LinkService(
            bot.db,
            bot.guild_repository,
            bot.clock,
            bot.content,
            audit=lambda guild_id, actor_id, action, target: record_action(
                bot, guild_id, actor_id, action, target
            ),
            dispatch=bot.dispatch,
            server_name=lambda guild_id: server_name(bot, guild_id),
        ),
        names=NameBook(PeopleRepository(bot.db), bot.clock, forgotten),
        officehours=officehours,
        officehours_publisher=SessionPublisher(bot, officehours_repo, officehours),
        publisher=publisher,
        tally=tally,
        consultation=ConsultationService(bot, publisher, tally, mirrors),
        mirrors=mirrors,
        translations=TranslationService(
            RecommendationRepository(bot.db), LanguageRepository(bot.db), bot.clock
        ),
        themes=ThemesService(
            bot.db, bot.clock, detector=detector, on_audit=lambda entry: announce(bot, entry)
        ),
        theme_notices=ThemeNotifier(bot, forgotten),
    )
