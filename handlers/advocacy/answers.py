"""An ambassador's answers: a referral link, a testimonial with explicit consent, the panel, no.

Buttons carry ``adv:<ask id>:<choice>``; each press is checked against the ask (its kind, its
status, its age, the offers) and against the chat that pressed it. Anything else is answered
politely as a stale button, logged, and changes nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from handlers.advocacy.invitations import Advocacy
from handlers.advocacy.texts import first_name, say
from handlers.conversation_states import ADVOCACY, On, Step, step_of
from handlers.deps import Deps
from handlers.messages import Button, IncomingUpdate, OutgoingMessage
from handlers.optin.linking import chat_language
from handlers.texts import say as say_common
from storage.checkins.conversations import StorageKey
from storage.models import AdvocacyAsk, ConversationState, Customer

log = logging.getLogger(__name__)

PREFIX = "adv"
_CONSENT = ("quote_yes", "quote_no")


def _parse(data: str) -> tuple[int, str] | None:
    parts = data.split(":")
    if len(parts) != 3 or not parts[1].isdigit() or len(parts[1]) > 11 or len(parts[2]) > 16:
        return None
    return int(parts[1]), parts[2]


async def _stale(deps: Deps, update: IncomingUpdate, lang: str, why: str) -> bool:
    log.warning(
        "chat %s pressed a stale or forged advocacy button (%s): %r",
        update.chat_id,
        why,
        update.button_data[:64],
    )
    await deps.channel.answer_button(update.callback_id, say_common("stale_button", lang))
    return True


def _answerable(adv: Advocacy, ask: AdvocacyAsk | None, customer: Customer, deps: Deps) -> bool:
    if ask is None or ask.kind != "ambassador" or ask.customer_id != customer.id:
        return False
    if ask.status not in ("sent", "answered") or ask.sent_at is None:
        return False
    return deps.clock() < _aware(ask.sent_at) + adv.settings.answer_within


def _aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back without their zone; they are stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def handle_button(adv: Advocacy, deps: Deps, update: IncomingUpdate) -> bool:
    """Take ``adv:`` button presses (True); leave every other button to the next route."""
    if not update.button_data.startswith(f"{PREFIX}:"):
        return False
    customer = await deps.customers.customer_for_chat(deps.channel_name, update.chat_id)
    lang = customer.language if customer else chat_language(update)
    parsed = _parse(update.button_data)
    if customer is None or parsed is None:
        return await _stale(deps, update, lang, "malformed data or unknown chat")
    ask_id, choice = parsed
    ask = await adv.queries.get_ask(ask_id)
    if not _answerable(adv, ask, customer, deps):
        return await _stale(deps, update, lang, f"ask {ask_id} not answerable from this chat")
    assert ask is not None
    if choice in _CONSENT:
        return await _consent(adv, deps, update, customer, ask, choice == "quote_yes")
    if choice == "no":
        return await _decline(adv, deps, update, customer, ask)
    if choice not in adv.settings.offers:
        return await _stale(deps, update, lang, f"offer {choice!r} is not offered")
    updated = await adv.queries.add_choice(ask_id, choice, deps.clock())
    if updated is None:
        return await _stale(deps, update, lang, f"ask {ask_id} closed meanwhile")
    await deps.channel.answer_button(update.callback_id)
    if not ask.choices:  # the first yes: they are an ambassador now
        await adv.queries.set_segment(customer.id or 0, "ambassador")
        await deps.answers.record_event("advocacy.ambassador", customer.id, {"ask_id": ask_id})
    if choice == "referral":
        await _send_referral_link(adv, deps, update.chat_id, customer)
    elif choice == "testimonial":
        key = StorageKey(deps.channel_name, update.chat_id, update.user_id)
        state = await deps.conversations.get_state(key)
        state.step = ADVOCACY.next(state.step, On.TESTIMONIAL_CHOSEN)
        state.checkin_id, state.question_index = None, 0
        state.data = {"ask_id": ask_id}
        await deps.conversations.save_state(state)
        await _reply(deps, update.chat_id, say("testimonial_prompt", lang))
    else:
        already = choice in (ask.choices or [])
        await _reply(
            deps, update.chat_id, say("panel_already" if already else "panel_joined", lang)
        )
    return True


async def _reply(
    deps: Deps, chat_id: int, text: str, buttons: tuple[tuple[Button, ...], ...] = ()
) -> None:
    await deps.outbox.post(OutgoingMessage(chat_id, text, buttons), "reply")


async def _quietly_edit(deps: Deps, update: IncomingUpdate, text: str) -> None:
    if not update.message_id:
        return
    try:
        await deps.channel.edit(update.chat_id, update.message_id, text)
    except Exception:  # an old message that can no longer be edited changes nothing
        log.info("could not edit advocacy message %s", update.message_id)


async def _send_referral_link(adv: Advocacy, deps: Deps, chat_id: int, customer: Customer) -> None:
    """The customer's personal referral link (made once, the same on every press)."""
    link = await adv.queries.referral_link(customer.id or 0)
    if link is None:
        link = await adv.queries.create_link(
            "referral", adv.settings.referral_target, adv.make_code, customer_id=customer.id
        )
    text = say(
        "referral_link", customer.language, link=adv.settings.link(link.code), code=link.code
    )
    await _reply(deps, chat_id, text)


async def _decline(
    adv: Advocacy, deps: Deps, update: IncomingUpdate, customer: Customer, ask: AdvocacyAsk
) -> bool:
    lang = customer.language
    await deps.channel.answer_button(update.callback_id)
    declined = await adv.queries.decline_ask(ask.id or 0, deps.clock())
    await _quietly_edit(deps, update, f"✔ {say('offer_no', lang)}")
    if declined:
        await deps.answers.record_event("advocacy.declined", customer.id, {"ask_id": ask.id})
        key = "declined_forever" if adv.settings.respect_no_forever else "declined"
        await _reply(deps, update.chat_id, say(key, lang))
    else:  # they had already said yes to something: nothing more to offer
        await _reply(deps, update.chat_id, say("noted", lang))
    return True


async def _consent(
    adv: Advocacy,
    deps: Deps,
    update: IncomingUpdate,
    customer: Customer,
    ask: AdvocacyAsk,
    consent: bool,
) -> bool:
    key = StorageKey(deps.channel_name, update.chat_id, update.user_id)
    state = await deps.conversations.get_state(key)
    testimonial_id = state.data.get("testimonial_id")
    if (
        step_of(state.step) != Step.TESTIMONIAL_CONSENT
        or state.data.get("ask_id") != ask.id
        or not isinstance(testimonial_id, int)
    ):
        return await _stale(deps, update, customer.language, "no testimonial waits for consent")
    lang = customer.language
    await deps.channel.answer_button(update.callback_id)
    if consent:
        await adv.queries.give_consent(testimonial_id, customer.id or 0, deps.clock())
    await deps.conversations.clear_state(key)
    state.step = ADVOCACY.next(state.step, On.CONSENT_GIVEN)
    label = say("quote_yes" if consent else "quote_no", lang)
    await _quietly_edit(deps, update, f"{say('testimonial_consent', lang)}\n✔ {label}")
    if consent:
        text = say("testimonial_quotable", lang, name=first_name(customer.name, lang))
    else:
        text = say("testimonial_private", lang)
    await _reply(deps, update.chat_id, text)
    return True


async def handle_text(
    adv: Advocacy,
    deps: Deps,
    update: IncomingUpdate,
    state: ConversationState,
    customer: Customer,
    text: str,
) -> bool:
    """A testimonial's words: stored at once (not quotable yet), then consent is asked.

    Words at the consent step are a new version of the testimonial, asked about again. Other
    words, or words for an ask that has closed, are left to the next route.
    """
    if not ADVOCACY.takes_words(state.step):
        return False
    key = StorageKey(state.channel, state.chat_id, state.user_id)
    ask_id = state.data.get("ask_id")
    ask = await adv.queries.get_ask(ask_id) if isinstance(ask_id, int) else None
    if not _answerable(adv, ask, customer, deps):
        log.info("chat %s: testimonial step for a closed ask; words go on", update.chat_id)
        await deps.conversations.clear_state(key)
        state.step = ADVOCACY.next(state.step, On.ASK_CLOSED)  # the next route sees it idle
        return False
    lang = customer.language
    testimonial = await adv.queries.save_testimonial(
        customer.id or 0, text, lang, consent=False, now=deps.clock()
    )
    state.step = ADVOCACY.next(state.step, On.TESTIMONIAL_WORDS)
    state.data = {"ask_id": ask_id, "testimonial_id": testimonial.id}
    await deps.conversations.save_state(state)
    buttons = (
        (
            Button(say("quote_yes", lang), f"{PREFIX}:{ask_id}:quote_yes"),
            Button(say("quote_no", lang), f"{PREFIX}:{ask_id}:quote_no"),
        ),
    )
    await _reply(deps, update.chat_id, say("testimonial_consent", lang), buttons)
    return True
