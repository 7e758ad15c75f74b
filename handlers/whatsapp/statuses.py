"""Meta's status callbacks (sent, delivered, read, failed) for the messages the bot sent."""

from __future__ import annotations

import logging

from handlers.deps import Deps
from handlers.whatsapp.deps import WhatsAppDeps
from storage.models import OptInState

log = logging.getLogger(__name__)
# Failures of the recipient, not of the message: retrying will not reach them (Meta's codes:
# 131026 message undeliverable, 131030 recipient not in the allowed list, 131021 recipient
# is the sender).
PERMANENT = frozenset({131026, 131030, 131021})


async def chat_unreachable(deps: Deps, wd: WhatsAppDeps, chat_id: int, why: str) -> bool:
    """Meta said this WhatsApp chat cannot be reached: mark it so, and the customer too when no
    other chat of theirs can be; returns whether another chat can (write to them there)."""
    customer_id, others = await wd.store.mark_unreachable(chat_id, wd.clock())
    log.info("chat %s unreachable on WhatsApp (%s)", chat_id, why)
    if customer_id is not None and not others:
        await deps.customers.set_opt_in_state(
            customer_id, OptInState.UNREACHABLE, f"whatsapp delivery failed: {why}"
        )
    return others


async def handle_status(
    deps: Deps, wd: WhatsAppDeps, wamid: str, status: str, code: int | None, title: str | None
) -> None:
    """Record a status on its message; a permanent failure marks the chat unreachable (and the
    customer, when no other chat of theirs can be reached) and cancels the check-in it opened."""
    now = wd.clock()
    info = await wd.store.apply_status(wamid, status, now, code, title)
    if info is None or not info.changed:
        return
    if status != "failed":
        return
    if code not in PERMANENT:
        log.warning("WhatsApp message %s failed (%s %s); not permanent", wamid[:40], code, title)
        return
    others = await chat_unreachable(deps, wd, info.chat_id, f"{code} {title}")
    if others and info.checkin_id is not None:
        await deps.checkins.cancel_checkin(info.checkin_id, f"whatsapp delivery failed: {code}")
        await deps.conversations.clear_states_for_checkin(info.checkin_id)
