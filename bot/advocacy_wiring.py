"""Plugs advocacy into a Mentorbot: its buttons, testimonial words, the step after a check-in,
the /r/ redirect and the periodic job. Nothing connects here; it only fills the bot's lists.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING

from bot.config import Config, ReviewPlatform
from bot.redirects import redirect_routes
from handlers.advocacy import answers as advocacy_answers
from handlers.advocacy.invitations import (
    Advocacy,
    AdvocacySettings,
    ReviewSite,
    on_checkin_finished,
)
from handlers.advocacy.rounds import AdvocacyReport, run_round
from handlers.jobs import Job
from storage.advocacy.asks import AdvocacyQueries

if TYPE_CHECKING:
    from bot.app import Mentorbot
    from bot.assembly import Plugs

log = logging.getLogger(__name__)


def _site(platform: ReviewPlatform) -> ReviewSite:
    return ReviewSite(platform.name, platform.url_for)


def advocacy_settings(config: Config) -> AdvocacySettings:
    """What advocacy needs, taken from the config."""
    adv, web = config.advocacy, config.web
    public = adv.public_url or web.public_url
    if public is None:
        public = f"http://{web.host}:{web.port}"
        if adv.reviews.enabled or adv.ambassadors.enabled:
            log.warning("advocacy: no advocacy.public_url or web.public_url; links use %s", public)
    amb = adv.ambassadors
    return AdvocacySettings(
        public_url=public.rstrip("/"),
        reviews_enabled=adv.reviews.enabled,
        review_delay=adv.reviews.delay,
        review_once_per=adv.reviews.once_per,
        review_sites=tuple(_site(p) for p in adv.reviews.platforms),
        ambassadors_enabled=amb.enabled,
        ambassador_delay=amb.delay,
        qualify_types=tuple(amb.qualify.question_types),
        require_positive_words=amb.qualify.require_positive_words,
        respect_no_forever=amb.respect_no_forever,
        ask_again_after=amb.ask_again_after,
        answer_within=amb.answer_within,
        offers=tuple(amb.offers),
        referral_url=amb.referral_url,
        batch=adv.batch,
    )


def install_advocacy(bot: Mentorbot, plugs: Plugs) -> Advocacy:
    """Plug advocacy's routes, hook, web route and job into ``plugs`` and return it (the bot
    keeps it as ``bot.advocacy``; a second call returns that one and adds nothing)."""
    if bot.advocacy is not None:
        return bot.advocacy
    adv = Advocacy(advocacy_settings(bot.config), AdvocacyQueries(bot.db))
    plugs.button_route(partial(advocacy_answers.handle_button, adv))
    plugs.text_route(partial(advocacy_answers.handle_text, adv))
    plugs.after_checkin(partial(on_checkin_finished, adv))
    plugs.web_routes(redirect_routes(adv.queries, lambda: bot.clock()))  # the bot's clock, later
    plugs.job(
        Job(
            "advocacy",
            partial(run_advocacy, bot),
            "interval",
            {"seconds": bot.config.advocacy.every.total_seconds()},
        )
    )
    return adv


def advocacy_of(bot: Mentorbot) -> Advocacy | None:
    """The advocacy installed on ``bot``, if any."""
    return bot.advocacy


async def run_advocacy(bot: Mentorbot) -> AdvocacyReport | None:
    """One advocacy round on ``bot`` (what the periodic job runs); None before Telegram is built."""
    adv = bot.advocacy
    if adv is None or bot.deps is None:
        return None
    return await run_round(adv, bot.deps)
