"""The advocacy round a periodic job runs: send due asks, credit referrals, thank ambassadors.

Every ask honours quiet hours in the customer's time zone and the survey-fatigue gap (counted
from their latest check-in or ask); one waiting for either is moved, not dropped. A customer
with an open case gets nothing until the case is resolved (the claim query leaves them out).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.advocacy.invitations import Advocacy
from handlers.advocacy.texts import first_name, say
from handlers.checkins.dispatch import after_quiet_hours, backoff, fatigue_delay
from handlers.deps import Deps
from handlers.messages import (
    Button,
    ChannelUnavailable,
    ChatUnreachable,
    OutgoingMessage,
    RetryLater,
)
from storage.advocacy.asks import AskContext, ThanksContext
from storage.models import OptInState

log = logging.getLogger(__name__)
ADVOCACY_PURPOSE = "advocacy:"
"""``OutgoingMessage.purpose`` of an ask: this prefix and the ask's id."""


@dataclass
class AdvocacyReport:
    """What one advocacy round did."""

    reviews_sent: int = 0
    ambassador_asks_sent: int = 0
    rescheduled: int = 0
    cancelled: int = 0
    failed: int = 0
    expired: int = 0
    credited: int = 0
    thanked: int = 0


async def run_round(adv: Advocacy, deps: Deps) -> AdvocacyReport:
    """One round: expire unanswered asks, credit referred purchases, say thank you, send asks."""
    report = AdvocacyReport()
    now = deps.clock()
    report.expired = await adv.queries.expire_asks(now - adv.settings.answer_within)
    report.credited = await adv.queries.credit_referrals(now)
    for thanks in await adv.queries.claim_thanks(now, adv.settings.batch):
        await _thank(adv, deps, thanks, now, report)
    claimed = await adv.queries.claim_due_asks(now, adv.settings.batch, adv.settings.lease)
    if claimed:
        await _send_asks(adv, deps, claimed, now, report)
    return report


async def _send_asks(
    adv: Advocacy, deps: Deps, claimed: list[AskContext], now: datetime, report: AdvocacyReport
) -> None:
    customers = sorted({c.ask.customer_id for c in claimed})
    checkin_facts = await deps.checkins.fatigue_facts_many(customers)
    last_asks = await adv.queries.last_ask_sent(customers)
    contacted_now: set[int] = set()
    for ctx in claimed:
        ask_id, customer_id = ctx.ask.id or 0, ctx.ask.customer_id
        reason = _cannot_send(adv, ctx)
        if reason:
            await adv.queries.cancel_ask(ask_id, reason)
            report.cancelled += 1
            continue
        open_until, last_checkin = checkin_facts.get(customer_id, (None, None))
        last = max((t for t in (last_checkin, last_asks.get(customer_id)) if t), default=None)
        if customer_id in contacted_now:
            last = now
        later = fatigue_delay(now, open_until, last, deps.rules)
        moment = later or now
        woken = after_quiet_hours(moment, ctx.customer.timezone, deps.rules)
        if woken != now:
            await adv.queries.reschedule_ask(ask_id, woken)
            report.rescheduled += 1
            continue
        try:
            if ctx.ask.kind == "review":
                await _send_review_invitation(adv, deps, ctx)
            else:
                await _send_ambassador_ask(adv, deps, ctx)
        except Exception as exc:
            await _failed(adv, deps, ctx, exc, now, report)
            continue
        await adv.queries.mark_ask_sent(ask_id, now)
        contacted_now.add(customer_id)
        if ctx.ask.kind == "review":
            report.reviews_sent += 1
        else:
            report.ambassador_asks_sent += 1


def _cannot_send(adv: Advocacy, ctx: AskContext) -> str | None:
    if ctx.customer.opt_in_state != OptInState.OPTED_IN or ctx.chat_id is None:
        return f"customer is {ctx.customer.opt_in_state}"
    settings = adv.settings
    if ctx.ask.kind == "review" and not (settings.reviews_enabled and settings.review_sites):
        return "review invitations were turned off"
    if ctx.ask.kind == "ambassador" and not settings.ambassadors_enabled:
        return "ambassador asks were turned off"
    return None


async def review_links(adv: Advocacy, sku: str | None, lang: str) -> list[tuple[str, str]]:
    """(platform, tracked link) for every configured review site, in the customer's language.

    Review links are shared by everyone reviewing the same page: no customer behind the code.
    """
    links = []
    for site in adv.settings.review_sites:
        target = site.url_for(sku, lang)
        link = await adv.queries.shared_review_link(site.name, target)
        if link is None:
            link = await adv.queries.create_link(
                "review", lambda _code, t=target: t, adv.make_code, platform=site.name
            )
        links.append((site.name, adv.settings.link(link.code)))
    return links


async def _send_review_invitation(adv: Advocacy, deps: Deps, ctx: AskContext) -> None:
    assert ctx.chat_id is not None
    lang = ctx.customer.language
    lines = [
        say("review_link", lang, platform=name, url=url)
        for name, url in await review_links(adv, ctx.sku, lang)
    ]
    text = say(
        "review_invite", lang, name=first_name(ctx.customer.name, lang), links="\n".join(lines)
    )
    purpose = f"{ADVOCACY_PURPOSE}{ctx.ask.id or 0}"
    await deps.channel.send(OutgoingMessage(ctx.chat_id, text, purpose=purpose))


def ambassador_buttons(adv: Advocacy, ask_id: int, lang: str) -> tuple[tuple[Button, ...], ...]:
    """One button per offer and a No thanks; the data names the ask and the choice."""
    rows = [(Button(say(f"offer_{o}", lang), f"adv:{ask_id}:{o}"),) for o in adv.settings.offers]
    rows.append((Button(say("offer_no", lang), f"adv:{ask_id}:no"),))
    return tuple(rows)


async def _send_ambassador_ask(adv: Advocacy, deps: Deps, ctx: AskContext) -> None:
    assert ctx.chat_id is not None
    lang = ctx.customer.language
    no = "ask_no_forever" if adv.settings.respect_no_forever else "ask_no"
    product = ctx.product or ("bestelling" if lang == "nl" else "order")
    text = (
        say("ambassador_ask", lang, name=first_name(ctx.customer.name, lang), product=product)
        + "\n"
        + say(no, lang)
    )
    buttons = ambassador_buttons(adv, ctx.ask.id or 0, lang)
    purpose = f"{ADVOCACY_PURPOSE}{ctx.ask.id or 0}"
    await deps.channel.send(OutgoingMessage(ctx.chat_id, text, buttons, purpose=purpose))


async def _failed(
    adv: Advocacy,
    deps: Deps,
    ctx: AskContext,
    exc: Exception,
    now: datetime,
    report: AdvocacyReport,
) -> None:
    ask_id = ctx.ask.id or 0
    report.failed += 1
    if isinstance(exc, ChatUnreachable):
        log.info("customer %s blocked the bot; ask %s cancelled", ctx.customer.id, ask_id)
        await deps.customers.set_opt_in_state(
            ctx.customer.id or 0, OptInState.UNREACHABLE, "bot was blocked by the customer"
        )
        await adv.queries.cancel_ask(ask_id, "chat unreachable")
    elif isinstance(exc, RetryLater):
        await adv.queries.reschedule_ask(ask_id, now + timedelta(seconds=exc.seconds))
    elif isinstance(exc, ChannelUnavailable):
        log.warning("sending ask %s failed (%s); retrying later", ask_id, exc)
        await adv.queries.reschedule_ask(ask_id, now + backoff(1))
    else:
        log.error("ask %s cannot be sent: %r", ask_id, exc)
        await adv.queries.cancel_ask(ask_id, repr(exc)[:200])


async def _thank(
    adv: Advocacy, deps: Deps, thanks: ThanksContext, now: datetime, report: AdvocacyReport
) -> None:
    customer, credit_id = thanks.customer, thanks.credit.id or 0
    if customer.opt_in_state != OptInState.OPTED_IN or thanks.chat_id is None:
        log.info("referral credit %s: ambassador not reachable, no thank-you", credit_id)
        return
    if after_quiet_hours(now, customer.timezone, deps.rules) != now:
        await adv.queries.release_thanks([credit_id])  # again after the quiet hours
        return
    lang = customer.language
    text = say("referral_thanks", lang, name=first_name(customer.name, lang))
    try:
        await deps.channel.send(OutgoingMessage(thanks.chat_id, text))
    except (RetryLater, ChannelUnavailable) as exc:
        log.warning("thank-you for credit %s failed (%s); retrying later", credit_id, exc)
        await adv.queries.release_thanks([credit_id])
        return
    except ChatUnreachable:
        await deps.customers.set_opt_in_state(
            customer.id or 0, OptInState.UNREACHABLE, "bot was blocked by the customer"
        )
        return
    except Exception:
        log.exception("thank-you for credit %s could not be sent", credit_id)
        return
    report.thanked += 1
