"""Opening a check-in on WhatsApp: free-form inside the 24-hour window, a template outside it.

A check-in days after delivery finds the window closed: it opens with the touchpoint's template
(intro words with the customer's name and product, and quick replies "Answer" and "Stop"). The
customer's reply opens the window, and the questions follow free-form, with buttons and lists.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from handlers.checkins import flow as checkin_flow
from handlers.deps import CheckInOpener, CheckInReminder, Deps
from handlers.messages import RetryLater
from handlers.whatsapp.deps import WhatsAppDeps
from handlers.whatsapp.messages import TemplateMessage
from handlers.whatsapp.window import WINDOW, tier_left, window_open
from storage.checkins.lifecycle import CheckInContext
from storage.models import ConversationState

log = logging.getLogger(__name__)
OPEN_PREFIX = "wa:open:"
STOP_REPLY = "wa:stop"


def template_for(wd: WhatsAppDeps, ctx: CheckInContext) -> TemplateMessage:
    """The template that opens this check-in; LookupError naming the touchpoint if none (the
    config check at start makes that impossible for configured journeys)."""
    name = wd.rules.templates.get(ctx.checkin.touchpoint)
    if name is None:
        raise LookupError(f"no WhatsApp template for touchpoint {ctx.checkin.touchpoint}")
    first = (ctx.customer.name or "").split(" ")[0] or "-"
    language = wd.rules.languages.get(ctx.customer.language) or next(
        iter(wd.rules.languages.values())
    )
    assert ctx.chat_id is not None
    return TemplateMessage(
        ctx.chat_id,
        name,
        language,
        (first, ctx.product or "-"),
        (f"{OPEN_PREFIX}{ctx.checkin.id}", STOP_REPLY),
    )


async def _open_with_template(deps: Deps, wd: WhatsAppDeps, ctx: CheckInContext) -> int:
    now = wd.clock()
    opened = await wd.store.conversations_opened_since(now - WINDOW)
    if tier_left(opened, wd.rules.daily_tier) <= 0:
        wd.waiting["daily_tier"] = wd.waiting.get("daily_tier", 0) + 1
        log.warning(
            "daily tier of %s conversations reached; check-in %s waits",
            wd.rules.daily_tier, ctx.checkin.id,
        )  # fmt: skip
        raise RetryLater(timedelta(hours=1).total_seconds())
    template = template_for(wd, ctx)
    sent = await wd.templates.send_template(template)
    await wd.store.note_opener(sent.message_id, ctx.checkin.id or 0, template.name, True)
    return sent.message_id


def opener(wd: WhatsAppDeps) -> CheckInOpener:
    """How the dispatcher opens a check-in in a WhatsApp chat."""

    async def open_checkin(deps: Deps, ctx: CheckInContext) -> int:
        assert ctx.chat_id is not None
        if window_open(await wd.store.last_inbound(ctx.chat_id), wd.clock()):
            return await checkin_flow.ask_first(deps, ctx)
        return await _open_with_template(deps, wd, ctx)

    return open_checkin


def reminder(wd: WhatsAppDeps) -> CheckInReminder:
    """How the dispatcher reminds in a WhatsApp chat: the question again inside the window, the
    opening template again outside it (the question was never shown, or the window closed)."""

    async def remind(deps: Deps, ctx: CheckInContext, state: ConversationState | None) -> None:
        assert ctx.chat_id is not None
        if window_open(await wd.store.last_inbound(ctx.chat_id), wd.clock()):
            await checkin_flow.remind(deps, ctx, state)
            return
        message_id = await _open_with_template(deps, wd, ctx)
        if state is not None and state.checkin_id == ctx.checkin.id:
            state.data = {**state.data, "message_id": message_id}
            await deps.conversations.save_state(state)

    return remind
