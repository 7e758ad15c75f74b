"""The managers' insights service: one channel-neutral entry point for Slack, Telegram, the
CLI and the digest.

``answer(command_text, requester)`` checks that the requester is a manager (Slack user ids or
a Slack user group, Telegram user ids), parses the command and replies with text and, for the
trend, a PNG chart. Nobody else gets figures: they get a polite refusal, and it is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from handlers.insights import formatting as fmt
from handlers.insights.chart import nps_trend_png
from handlers.insights.figures import Summary, build_summary
from handlers.insights.messages import InsightReply, Requester
from handlers.insights.query import InsightQuery, QueryError, parse_query, suggest
from storage.db import StorageUnavailable

if TYPE_CHECKING:
    from storage.insights.store import InsightsStore

log = logging.getLogger(__name__)
BREAKDOWN_BY = {
    "touchpoints": "touchpoint",
    "products": "product",
    "languages": "language",
    "channels": "channel",
}
# Replies that quote customers (detractors' latest words, a typical quote per theme, the
# summary's top themes); the rest are plain figures that may go where they were asked.
QUOTING = frozenset({"stats", "detractors", "themes"})
__all__ = ["InsightReply", "InsightsService", "InsightsSettings", "Requester"]


@dataclass(frozen=True)
class InsightsSettings:
    """Who the managers are and how figures are shown."""

    timezone: str = "UTC"
    small_sample: int = 30
    trend_weeks: int = 12
    top_themes: int = 5
    slack_user_ids: frozenset[str] = field(default_factory=frozenset)
    slack_usergroup: str | None = None
    telegram_user_ids: frozenset[str] = field(default_factory=frozenset)


class InsightsService:
    """Answers managers' commands from SQL aggregates."""

    def __init__(
        self,
        data: InsightsStore,
        settings: InsightsSettings,
        clock: Callable[[], datetime],
    ) -> None:
        self.data = data
        self.settings = settings
        self.clock = clock
        self.tz = ZoneInfo(settings.timezone)

    async def is_manager(self, requester: Requester) -> bool:
        """Whether the config lists this person as a manager (directly or by user group)."""
        s = self.settings
        if requester.channel == "telegram":
            return requester.user_id in s.telegram_user_ids
        if requester.channel == "slack":
            if requester.user_id in s.slack_user_ids:
                return True
            if s.slack_usergroup and requester.member_of is not None:
                try:
                    return await requester.member_of(s.slack_usergroup)
                except Exception:  # Slack away: refuse rather than leak figures
                    log.exception("insights: could not check user group %s", s.slack_usergroup)
        return False

    async def answer(self, command_text: str, requester: Requester) -> InsightReply:
        """Answer a manager; refuse (politely, logged) anyone else."""
        if not await self.is_manager(requester):
            log.warning(
                "insights: refused %s user %s (not a manager): %r",
                requester.channel,
                requester.user_id,
                command_text[:100],
            )
            return InsightReply(fmt.REFUSAL, refused=True)
        log.info(
            "insights: %s user %s asked %r", requester.channel, requester.user_id, command_text
        )
        return await self.run(command_text)

    def parse(self, command_text: str) -> InsightQuery:
        """Parse command text in the managers' time zone; raises QueryError."""
        return parse_query(command_text, self.clock(), self.tz, self.settings.trend_weeks)

    async def run(self, command_text: str) -> InsightReply:
        """Answer without an access check (the CLI, the digest); never raises."""
        try:
            query = await self.checked(self.parse(command_text))
            reply = await self.execute(query)
            return replace(reply, private=True) if query.what in QUOTING else reply
        except QueryError as exc:
            return InsightReply(str(exc))
        except StorageUnavailable:
            return InsightReply("The database is not reachable right now; try again in a minute.")
        except Exception:
            log.exception("insights: failed to answer %r", command_text)
            return InsightReply("Sorry, something went wrong working that out. It is logged.")

    async def checked(self, query: InsightQuery) -> InsightQuery:
        """The query with product and touchpoint matched to stored values (any case);
        QueryError with a suggestion when nothing matches."""
        for by in ("product", "touchpoint"):
            value = getattr(query, by)
            if value is None or await self.data.value_exists(by, value):
                continue
            known = await self.data.known_values(by)
            same = [k for k in known if k.casefold() == value.casefold()]
            if same:
                query = replace(query, **{by: same[0]})
                continue
            best = suggest(value, [k.lower() for k in known])
            original = next((k for k in known if k.lower() == best), None)
            hint = f' Did you mean {by}="{original}"?' if original else ""
            examples = ", ".join(sorted(known)[:5])
            raise QueryError(
                f"No answers for {by} “{value}”.{hint}"
                + (f" Known: {examples}." if examples and not hint else "")
            )
        return query

    async def summary(self, query: InsightQuery) -> Summary:
        """The ``stats`` figures."""
        return await build_summary(
            self.data,
            query,
            self.clock(),
            small_sample=self.settings.small_sample,
            themes=self.settings.top_themes,
        )

    async def execute(self, query: InsightQuery) -> InsightReply:
        """Compute and format the reply for a parsed query."""
        flt, what = query.filter(), query.what
        small = self.settings.small_sample
        if what == "help":
            return InsightReply(fmt.HELP)
        if what == "stats":
            return InsightReply(fmt.format_summary(await self.summary(query)))
        if what == "trend":
            points = await self.data.weekly_nps(flt)
            title = "NPS per week" + (f" ({flt.describe()})" if flt.describe() else "")
            return InsightReply(
                fmt.format_trend(query, points, small), nps_trend_png(points, title, small)
            )
        if what == "detractors":
            cur, prev = await self.data.answer_figures(flt)
            quotes = await self.data.detractor_quotes(flt, 5)
            cases = await self.data.case_figures(flt, self.clock())
            return InsightReply(fmt.format_detractors(query, cur, prev, quotes, cases))
        if what == "themes":
            themes = await self.data.top_themes(flt, max(self.settings.top_themes, 8))
            return InsightReply(fmt.format_themes(query, themes))
        if what == "cases":
            now = self.clock()
            cur = await self.data.case_figures(flt, now)
            before = await self.data.case_figures(flt.previous(), now)
            return InsightReply(fmt.format_cases(query, cur, before))
        if what == "ambassadors":
            cur_a = await self.data.advocacy_figures(flt)
            before_a = await self.data.advocacy_figures(flt.previous())
            return InsightReply(fmt.format_advocacy(query, cur_a, before_a))
        by = BREAKDOWN_BY[what]
        rows = await self.data.breakdown(flt, by)
        return InsightReply(fmt.format_breakdown(query, by, rows))

    async def digest(self) -> InsightReply:
        """The weekly digest: last 7 days against the 7 before, with the trend chart."""
        stats = self.parse("stats 7d")
        trend = self.parse("trend")
        summary = await self.summary(stats)
        points = await self.data.weekly_nps(trend.filter())
        text = "Weekly digest from Mentorbot\n\n" + fmt.format_summary(summary)
        chart = nps_trend_png(
            points, f"NPS per week, last {len(points)} weeks", self.settings.small_sample
        )
        return InsightReply(text, chart, chart_name="nps-weekly-digest.png", private=True)
