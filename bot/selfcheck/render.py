"""The self-check in sentences: what to do, named precisely, in the reader's language."""

from __future__ import annotations

from collections.abc import Iterable

from bot.access import Access
from bot.i18n import t
from bot.selfcheck.permissions import PERMISSION_NAMES, Gap, PermissionReport
from bot.selfcheck.reach import RoleReach

ROLE_NAMES = {
    Access.WORKING_GROUP: "selfcheck.role_working_group",
    Access.MODERATOR: "selfcheck.role_moderator",
}


def command_list(names: Iterable[str]) -> str:
    return ", ".join(f"`/{name}`" for name in names)


def place(gap: Gap, locale: object) -> str:
    return f"<#{gap.channel_id}>" if gap.channel_id is not None else t("selfcheck.server", locale)


def gap_line(gap: Gap, locale: object) -> str:
    return t(
        "selfcheck.permission_missing",
        locale,
        channel=place(gap, locale),
        permission=t(PERMISSION_NAMES[gap.need.permission], locale),
        consequence=t(gap.need.without, locale),
    )


def permission_lines(report: PermissionReport, locale: object) -> list[str]:
    lines = [t("selfcheck.channel_gone", locale, channel=f"<#{channel_id}>") for channel_id in report.gone]
    lines += [gap_line(gap, locale) for gap in report.gaps]
    if report.gaps:
        lines.append(t("selfcheck.permissions_fix", locale))
    if not lines:
        channels = ", ".join(f"<#{channel_id}>" for channel_id in report.checked)
        lines.append(t("selfcheck.permissions_ok", locale, channels=channels or "—"))
    return lines


def reach_lines(reports: Iterable[RoleReach], bot_name: str, locale: object) -> list[str]:
    lines = []
    for report in reports:
        role = f"<@&{report.role_id}>"
        if not report.role_exists:
            lines.append(
                t("selfcheck.role_gone", locale, role=role, what=t(ROLE_NAMES[report.access], locale))
            )
        elif report.unreachable:
            lines.append(
                t(
                    "selfcheck.role_step",
                    locale,
                    role=role,
                    commands=command_list(report.unreachable),
                    bot=bot_name,
                )
            )
        else:
            lines.append(t("selfcheck.role_ok", locale, role=role, commands=command_list(report.commands)))
    return lines


def publish_refusal(blockers: Iterable[Gap], locale: object) -> str:
    """The lines of ``selfcheck.publish_refused``: each permission publishing would stop without."""
    return "\n".join(f"• {gap_line(gap, locale)}" for gap in blockers)
