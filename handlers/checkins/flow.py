"""One check-in as a conversation: ask each question, store each answer, follow up, finish."""

from __future__ import annotations

import logging
import re

from handlers.conversation_states import CHECK_IN, On, Step, step_of
from handlers.deps import Deps
from handlers.journeys import Question, Touchpoint
from handlers.messages import Button, IncomingUpdate, OutgoingMessage, file_of
from handlers.texts import say
from storage.checkins.conversations import StorageKey
from storage.checkins.lifecycle import CheckInContext
from storage.models import Answer, ConversationState, Customer

log = logging.getLogger(__name__)

ANSWER_PREFIX = "a"
_NUMBER = re.compile(r"^\s*(\d{1,2})\s*(/\s*10|/\s*5|/\s*7)?\s*[.!]?\s*$")
_YES = {"yes", "y", "yep", "yeah", "ja", "j", "jawel", "jazeker", "ok", "👍"}
_NO = {"no", "n", "nope", "nee", "neen", "nein", "👎"}
# (low, high) cut-offs that choose the follow-up: low <= first, high >= second.
FOLLOW_UP_CUTS = {"nps": (6, 9), "csat": (2, 5), "ces": (3, 6), "yes_no": (0, 2)}


def touchpoint_of(deps: Deps, ctx: CheckInContext) -> Touchpoint:
    """The touchpoint definition a check-in follows (from the journeys config)."""
    journey = deps.journeys.get(ctx.checkin.journey)
    tp = journey.touchpoint(ctx.checkin.touchpoint) if journey else None
    if tp is None:
        raise LookupError(
            f"touchpoint {ctx.checkin.journey}/{ctx.checkin.touchpoint} is no longer configured"
        )
    return tp


def _fill(text: str, ctx: CheckInContext) -> str:
    name = (ctx.customer.name or "").split(" ")[0] or "there"
    return text.replace("{name}", name).replace("{product}", ctx.product or "order")


def question_buttons(
    q: Question, checkin_id: int, index: int, lang: str
) -> tuple[tuple[Button, ...], ...]:
    """Buttons for a scored question; the data names check-in, question and value."""

    def b(label: str, value: int) -> Button:
        return Button(label, f"{ANSWER_PREFIX}:{checkin_id}:{index}:{value}")

    if q.type == "yes_no":
        return ((b(say("yes", lang), 1), b(say("no", lang), 0)),)
    if q.scale is None:
        return ()
    low, high = q.scale
    values = list(range(low, high + 1))
    if len(values) > 7:  # NPS: two rows fit a phone screen
        half = (len(values) + 1) // 2
        return (
            tuple(b(str(v), v) for v in values[:half]),
            tuple(b(str(v), v) for v in values[half:]),
        )
    return (tuple(b(str(v), v) for v in values),)


async def ask(deps: Deps, ctx: CheckInContext, index: int, prefix: str = "") -> int:
    """Send question ``index`` of the check-in; returns the message id."""
    assert ctx.chat_id is not None
    tp = touchpoint_of(deps, ctx)
    lang = ctx.customer.language
    q = tp.questions[index]
    text = _fill(q.text.get(lang), ctx)
    sent = await deps.channel.send(
        OutgoingMessage(
            ctx.chat_id,
            f"{prefix}\n\n{text}" if prefix else text,
            question_buttons(q, ctx.checkin.id or 0, index, lang),
        )
    )
    return sent.message_id


async def ask_first(deps: Deps, ctx: CheckInContext) -> int:
    """Send the touchpoint's intro with the first question; returns the message id.

    The dispatcher has already put the chat at question 0 of this check-in.
    """
    tp = touchpoint_of(deps, ctx)
    return await ask(deps, ctx, 0, prefix=_fill(tp.intro.get(ctx.customer.language), ctx))


async def remind(deps: Deps, ctx: CheckInContext, state: ConversationState | None) -> None:
    """Ask the current question again, once, with a reminder line."""
    index = state.question_index if state and state.checkin_id == ctx.checkin.id else 0
    message_id = await ask(deps, ctx, index, prefix=say("reminder", ctx.customer.language))
    if state is not None and state.checkin_id == ctx.checkin.id:
        state.data = {**state.data, "message_id": message_id}
        await deps.conversations.save_state(state)


def parse_typed_answer(q: Question, text: str) -> int | None:
    """A typed score ("8", "8/10") or yes/no ("ja") for a scored question, else None."""
    if q.type == "yes_no":
        words = text.strip().lower().split()
        word = words[0].strip(".,!?;:") if words else ""
        return 1 if word in _YES else 0 if word in _NO else None
    match = _NUMBER.match(text)
    if not match or q.scale is None:
        return None
    value = int(match.group(1))
    low, high = q.scale
    return value if low <= value <= high else None


INBOX_CLAIM = "inbox_claim"


def inbox_mark(update: IncomingUpdate) -> tuple[str, int, str] | None:
    """(channel, update id, claim) of an update handled from the inbox: its answer is stored
    with the update's handled mark, in one transaction (None outside the inbox)."""
    claim = update.extra.get(INBOX_CLAIM)
    return (update.channel, update.update_id, claim) if claim else None


def _label(q: Question, value: int, lang: str) -> str:
    if q.type == "yes_no":
        return say("yes" if value else "no", lang)
    return str(value)


async def store_answer(
    deps: Deps,
    update: IncomingUpdate,
    customer_id: int,
    checkin_id: int | None,
    question_id: str | None,
    question_type: str | None,
    score: int | None,
    text: str | None,
    lang: str | None,
    ctx: CheckInContext | None = None,
) -> Answer:
    """Store an answer at once, then pass it through the pipeline (whose failure loses nothing).

    With the check-in's context the answer also keeps its touchpoint and product for insights.
    """
    answer = await deps.answers.save_answer(
        Answer(
            touchpoint=ctx.checkin.touchpoint if ctx else None,
            product=ctx.product if ctx else None,
            customer_id=customer_id,
            checkin_id=checkin_id,
            question_id=question_id,
            question_type=question_type,
            score=score,
            text=text,
            language=lang,
            channel=update.channel,
            raw_update_id=update.update_id,
            source_message_id=update.message_id if update.kind == "text" else None,
            attachment=file.to_payload() if (file := file_of(update)) else None,
            created_at=deps.clock(),
        ),
        handled=inbox_mark(update),
    )
    try:
        await deps.pipeline.process(answer)
    except Exception:
        log.exception(
            "answer pipeline failed for answer %s; the answer is kept unscored", answer.id
        )
    return answer


async def record_score(
    deps: Deps, update: IncomingUpdate, state: ConversationState, ctx: CheckInContext, value: int
) -> None:
    """A score for the current question: store it, mark the question answered, go on."""
    tp = touchpoint_of(deps, ctx)
    q = tp.questions[state.question_index]
    lang = ctx.customer.language
    await store_answer(
        deps, update, ctx.customer.id or 0, ctx.checkin.id, q.id, q.type, value, None, lang, ctx
    )
    message_id = state.data.get("message_id")
    if message_id and ctx.chat_id is not None:
        question_text = _fill(q.text.get(lang), ctx)
        try:
            await deps.channel.edit(
                ctx.chat_id,
                int(message_id),
                f"{question_text}\n✔ {say('chosen', lang, value=_label(q, value, lang))}",
            )
        except Exception:  # an old message that can no longer be edited changes nothing
            log.info("could not edit question message %s", message_id)
    follow_up = _follow_up_text(q, value, lang)
    if follow_up and ctx.chat_id is not None:
        await deps.outbox.post(
            OutgoingMessage(ctx.chat_id, follow_up), "follow_up", ctx.customer.id
        )
        state.step = CHECK_IN.next(state.step, On.SCORE_ASKS_WHY)
        state.data = {"question_id": q.id}
        await deps.conversations.save_state(state)
        return
    await advance(deps, state, ctx)


def _follow_up_text(q: Question, value: int, lang: str) -> str | None:
    if q.follow_up is None or q.type not in FOLLOW_UP_CUTS:
        return None
    low_cut, high_cut = FOLLOW_UP_CUTS[q.type]
    if value <= low_cut and q.follow_up.low:
        return q.follow_up.low.get(lang)
    if value >= high_cut and q.follow_up.high:
        return q.follow_up.high.get(lang)
    return None


async def record_text(
    deps: Deps, update: IncomingUpdate, state: ConversationState, ctx: CheckInContext, text: str
) -> None:
    """Words for the current free-text question or follow-up: store them and go on."""
    tp = touchpoint_of(deps, ctx)
    q = tp.questions[state.question_index]
    lang = ctx.customer.language
    if step_of(state.step) == Step.FOLLOW_UP:
        await store_answer(
            deps,
            update,
            ctx.customer.id or 0,
            ctx.checkin.id,
            f"{q.id}_why"[:32],
            "text",
            None,
            text,
            lang,
            ctx,
        )
        await advance(deps, state, ctx)
        return
    if q.type == "text":
        await store_answer(
            deps, update, ctx.customer.id or 0, ctx.checkin.id, q.id, "text", None, text, lang, ctx
        )
        await advance(deps, state, ctx)
        return
    value = parse_typed_answer(q, text)
    if value is not None:
        await record_score(deps, update, state, ctx, value)
        return
    # Words where a score was asked: keep them (complaints come this way) and ask again.
    await store_answer(
        deps,
        update,
        ctx.customer.id or 0,
        ctx.checkin.id,
        f"{q.id}_comment"[:32],
        "text",
        None,
        text,
        lang,
        ctx,
    )
    assert ctx.chat_id is not None
    if q.type == "yes_no":
        hint = say("use_yes_no", lang)
    else:
        low, high = q.scale or (0, 10)
        hint = say("use_buttons", lang, low=low, high=high)
    await deps.outbox.post(OutgoingMessage(ctx.chat_id, hint), "reply", ctx.customer.id)


async def closing_words(
    deps: Deps,
    customer: Customer,
    chat_id: int,
    *,
    checkin_id: int | None = None,
    answer_id: int | None = None,
) -> bool:
    """Whether a plugged-in step said the last word (e.g. the acknowledgement that a colleague
    will follow up a case these answers opened); the caller sends its usual thanks if not."""
    for closing in deps.closing_words:
        if await closing(deps, customer, chat_id, checkin_id, answer_id):
            return True
    return False


async def advance(deps: Deps, state: ConversationState, ctx: CheckInContext) -> None:
    """Ask the next question, or finish the check-in with thanks."""
    tp = touchpoint_of(deps, ctx)
    assert ctx.chat_id is not None
    nxt = state.question_index + 1
    if nxt < len(tp.questions):
        message_id = await ask(deps, ctx, nxt)
        state.step, state.question_index = CHECK_IN.next(state.step, On.NEXT_QUESTION), nxt
        state.data = {"message_id": message_id}
        await deps.conversations.save_state(state)
        return
    await deps.checkins.mark_answered(ctx.checkin.id or 0, deps.clock())
    await deps.conversations.clear_state(StorageKey(state.channel, state.chat_id, state.user_id))
    state.step = CHECK_IN.next(state.step, On.LAST_ANSWER)
    if not await closing_words(deps, ctx.customer, ctx.chat_id, checkin_id=ctx.checkin.id):
        await deps.outbox.post(
            OutgoingMessage(ctx.chat_id, say("thanks_done", ctx.customer.language)),
            "thanks",
            ctx.customer.id,
        )
    await deps.answers.record_event(
        "checkin.answered", ctx.customer.id, {"checkin_id": ctx.checkin.id, "touchpoint": tp.name}
    )
    for finished in deps.after_checkin:
        try:
            await finished(deps, ctx)
        except Exception:  # what follows a finished check-in never undoes it
            log.exception("after-check-in step failed for check-in %s", ctx.checkin.id)
