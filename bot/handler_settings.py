"""What the customer handlers get from the bot: the settings they take from the config
(purchase intake, survey rules), the answer pipeline, and their :class:`Deps` over it all."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from bot.channels_by_chat import ChannelsByChat
from bot.config import Config
from handlers.checkins.scoring import ScoringPipeline
from handlers.deps import Deps, SurveyRules
from handlers.events import EventBus
from handlers.intake.purchases import IntakeSettings
from handlers.ports import AnswerPipeline, CustomerChannel
from sentiment.service import Scoring
from storage.models import utcnow
from storage.repositories import Repositories

if TYPE_CHECKING:
    from bot.app import Mentorbot


def intake_settings(config: Config) -> IntakeSettings:
    """What purchase intake needs, taken from the config."""
    return IntakeSettings(
        journeys=config.journeys,
        journey_for_sku=lambda sku, requested: config.journey_for(sku, requested)[0],
        timezone=config.timezone,
        default_language=config.default_language,
        opt_in_token_ttl=config.survey.opt_in_token_ttl,
        opt_in_link=config.opt_in_link,
    )


def scoring_pipeline(
    repos: Repositories,
    events: EventBus,
    scoring: Scoring | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> AnswerPipeline:
    """The answer seam: scored by the configured sentiment backend, then AnswerScored."""
    scoring = scoring or Scoring()
    return ScoringPipeline(
        repos.answers, repos.customers, scoring, events=events, clock=clock, history=scoring
    )


def survey_rules(config: Config) -> SurveyRules:
    """Survey-fatigue rules from the config."""
    survey = config.survey
    return SurveyRules(
        min_gap=survey.min_gap,
        quiet_start=survey.quiet_hours.start,
        quiet_end=survey.quiet_hours.end,
        reminder_after=survey.reminder_after,
        expire_after=survey.expire_after,
        max_link_attempts=survey.link_attempts,
        lockout=survey.lockout,
    )


def handler_deps(bot: Mentorbot, channel: CustomerChannel | None) -> Deps:
    """The customer handlers' deps over the bot's repositories, journeys, rules, pipeline,
    clock and what the capabilities plugged in (``channel`` None: no channel of its own yet)."""
    return Deps(
        checkins=bot.repos.checkins,
        answers=bot.repos.answers,
        conversations=bot.repos.conversations,
        customers=bot.repos.customers,
        message_queue=bot.repos.message_queue,
        channel=channel or ChannelsByChat({}),
        journeys=bot.config.journeys,
        units=bot.units,
        rules=survey_rules(bot.config),
        pipeline=bot.pipeline,
        clock=bot.clock,
        button_routes=bot.assembly.button_routes,
        text_routes=bot.assembly.text_routes,
        commands=bot.assembly.commands,
        after_checkin=bot.assembly.after_checkin,
        closing_words=bot.assembly.closing_words,
    )
