"""Builds the Slack support desk from the config and plugs it into a Mentorbot.

Flagged answers open cases (a listener after scoring), customers' words reach case threads (a
text route), the outbox is delivered at once when something is queued and every few seconds
for retries, and response-time targets are checked every minute.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.log_context import log_context
from handlers.conversation_states import DESK_RELAY
from handlers.desk import ack as case_ack
from handlers.desk import actions as case_actions
from handlers.desk import cases
from handlers.desk import sla as case_sla
from handlers.desk import sweep as case_sweep
from handlers.desk.gestures import GestureSpec
from handlers.desk.messages import ActionResult, DeskAction
from handlers.desk.outbox_delivery import DeliveryReport, deliver_outbox
from handlers.desk.port import BusinessHours, DeskDeps, DeskSettings
from handlers.events import AnswerScored, CaseChanged
from handlers.jobs import Job

if TYPE_CHECKING:
    from bot.app import Mentorbot
    from bot.assembly import Plugs
    from bot.config import Config

log = logging.getLogger(__name__)
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class OutboxPump:
    """Runs outbox delivery now when kicked; kicks during a run cause one more run."""

    def __init__(self, deliver: Callable[[], Awaitable[DeliveryReport]]) -> None:
        self._deliver = deliver
        self._task: asyncio.Task[None] | None = None
        self._again = False

    def kick(self) -> None:
        """Deliver soon (in this event loop), without waiting for the next scheduled round."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (e.g. a CLI command): the scheduled round will deliver
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = loop.create_task(self._run())

    async def _run(self) -> None:
        while True:
            self._again = False
            try:
                await self._deliver()
            except Exception:
                log.exception("outbox delivery failed")
            if not self._again:
                return

    async def drain(self) -> None:
        """Wait for a running delivery to finish (tests, shutdown)."""
        while self._task is not None and not self._task.done():
            await asyncio.wait({self._task})


def desk_settings(config: Config) -> DeskSettings:
    """The desk's rules from the config (support channel, targets, hours, recovery timing)."""
    slack, support = config.slack, config.support
    recovery = config.journeys.get("recovery")
    touchpoint = recovery.touchpoints[0] if recovery and recovery.touchpoints else None
    timing = (
        {"recovery_touchpoint": touchpoint.name, "recovery_delay": touchpoint.delay}
        if touchpoint is not None
        else {}
    )
    return DeskSettings(
        support_channel=slack.support_channel or "",
        manager_channel=slack.manager_channel,
        escalation_usergroup=slack.escalation_usergroup,
        remind_after=support.remind_after,
        escalate_after=support.escalate_after,
        hours=BusinessHours(
            start=support.business_hours.start,
            end=support.business_hours.end,
            days=frozenset(_DAYS.index(d) for d in support.business_hours.days),
            timezone=support.timezone or config.timezone,
        ),
        gestures=tuple(
            GestureSpec(
                g.name,
                g.text.model_dump() if g.text else {},
                tuple(g.voucher.codes) if g.voucher else (),
                g.voucher.pattern if g.voucher else None,
            )
            for g in support.gestures
        ),
        acknowledgement=support.acknowledgement.model_dump(),
        reply_within=support.reply_within,
        resolve_message=support.resolve_message.model_dump(),
        previous_answers=support.previous_answers,
        relay_max_bytes=support.relay_max_mb * 1024 * 1024,
        relay_files_per_hour=support.relay_files_per_hour,
        **timing,  # type: ignore[arg-type]
    )


@dataclass
class SupportDesk:
    """The installed desk: its handler deps, Bolt app, Web API client and outbox pump."""

    deps: DeskDeps
    bolt: Any
    client: Any
    pump: OutboxPump = field(init=False)
    busy: int = 0
    """Staff actions being handled right now (Bolt acknowledges first, then acts)."""
    _delivering: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        # Kicked rounds go through ``deliver`` too, so they share its lock with scheduled ones.
        self.pump = OutboxPump(self.deliver)

    async def deliver(self) -> DeliveryReport:
        """One outbox delivery round; rounds in this process never overlap (the kicked pump
        and the scheduled job both come here), and the database lease keeps other workers out."""
        async with self._delivering:
            return await deliver_outbox(self.deps)

    async def check_response_times(self) -> case_sla.SlaReport:
        """One round of reminders and escalations."""
        return await case_sla.check_response_times(self.deps)

    async def open_cases_left_behind(self) -> case_sweep.CaseSweepReport:
        """Decide the case of flagged answers whose step after scoring failed."""
        return await case_sweep.open_cases_left_behind(self.deps, self.deps.clock())

    async def on_action(self, action: DeskAction) -> ActionResult:
        """A staff action from Slack, handled."""
        self.busy += 1
        case_id = int(action.ref) if action.ref.isdigit() else None  # buttons and forms
        try:
            with log_context(case_id=case_id):
                return await case_actions.handle_desk_action(self.deps, action)
        finally:
            self.busy -= 1

    async def close(self) -> None:
        """Finish delivery and close the Web API client's session."""
        await self.pump.drain()
        session = getattr(self.client, "session", None)
        if session is not None and not session.closed:
            await session.close()


def install_support(bot: Mentorbot, plugs: Plugs) -> SupportDesk | None:
    """Build the Slack desk and plug it into ``bot``; None when Slack is not configured."""
    from bot.channels.slack_adapter import SlackDesk, build_bolt_app, slack_route, web_client

    slack = bot.config.slack
    if not slack.enabled or slack.bot_token is None:  # the config checked the rest
        log.info("support desk off: slack.bot_token is not set")
        return None
    client = web_client(slack.bot_token.get_secret_value(), slack.base_url)
    desk = SlackDesk(client)
    dd = DeskDeps(
        cases=bot.repos.cases,
        desk_outbox=bot.repos.desk_outbox,
        answers=bot.repos.answers,
        customers=bot.repos.customers,
        message_queue=bot.repos.message_queue,
        leases=bot.repos.leases,
        desk=desk,
        customer_channel=None,  # the bot hands the desk its customer channel once it is built
        settings=desk_settings(bot.config),
        clock=bot.clock,
        units=bot.units,
        events=bot.events,
        worker=bot.worker,
    )
    secret = slack.signing_secret.get_secret_value() if slack.signing_secret else ""
    support = SupportDesk(dd, None, client)
    support.bolt = build_bolt_app(secret, client, desk, support.on_action)

    async def on_scored(event: AnswerScored) -> None:
        await cases.on_scored(dd, event.answer, event.analysis)

    async def deliver_now(_event: CaseChanged) -> None:
        support.pump.kick()  # the card should not wait for the next outbox round

    async def relay(deps: Any, update: Any, state: Any, customer: Any, text: str) -> bool:
        if not DESK_RELAY.takes_words(state.step):  # e.g. a testimonial's words: not relayed
            return False
        return await cases.relay_customer_words(dd, deps, update, customer, text)

    async def acknowledge(
        deps: Any, customer: Any, chat_id: int, checkin_id: int | None, answer_id: int | None
    ) -> bool:
        return await case_ack.acknowledge_case(
            dd, deps.channel, customer, chat_id, checkin_id=checkin_id, answer_id=answer_id
        )

    plugs.subscribe(AnswerScored, on_scored)
    plugs.subscribe(CaseChanged, deliver_now)
    plugs.text_route(relay)
    plugs.closing_words(acknowledge)
    plugs.job(
        Job(
            "outbox",
            support.deliver,
            "interval",
            {"seconds": bot.config.support.outbox_every.total_seconds()},
        )
    )
    plugs.job(Job("response_times", support.check_response_times, "interval", {"seconds": 60}))
    plugs.job(Job("cases_left_behind", support.open_cases_left_behind, "interval", {"seconds": 60}))
    if not slack.socket_mode:
        plugs.web_routes([slack_route(support.bolt)])
    log.info("support desk on: cases go to %s", slack.support_channel)
    return support
