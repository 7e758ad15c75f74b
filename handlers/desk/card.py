"""The case card: one message that tells support everything, rebuilt from the database each time
it is posted or updated, so the channel always shows the truth.

The card says what to stress and whom to mention through the desk's :class:`DeskMarkup`; the
Slack adapter writes that as mrkdwn.
"""

from __future__ import annotations

from datetime import datetime

from handlers.chat_address import CHANNEL_NAMES, channel_of
from handlers.desk.messages import Card, CardButton, DeskMarkup, DeskMessage
from storage.desk.case_view import CaseView
from storage.models import CLOSED_BY_FORGET, Answer, Case, CaseStatus

PRIORITY_MARK = {"urgent": "🔴", "high": "🟠", "normal": "🟡", "low": "⚪"}
STATUS_WORDS = {
    CaseStatus.OPEN: "Open, unclaimed",
    CaseStatus.CLAIMED: "Claimed",
    CaseStatus.WAITING_ON_CUSTOMER: "Waiting on the customer",
    CaseStatus.RESOLVED: "Resolved",
    CaseStatus.NOT_AN_ISSUE: "Closed: not an issue",
}
# A case closed because its customer used /forget: not "not an issue", whatever its status.
ERASED_WORDS = "Closed: the customer erased their data"
LANGUAGES = {"en": "English", "nl": "Dutch"}
QUESTION_WORDS = {"nps": "NPS", "csat": "CSAT", "ces": "CES", "yes_no": "Yes/no"}


def mention(markup: DeskMarkup, staff_id: str | None) -> str:
    """A staff member as the desk shows them (mentioned), or "nobody"."""
    return markup.mention(staff_id) if staff_id else "nobody"


def _how_long(since: datetime | None, now: datetime) -> str:
    if since is None:
        return "new customer"
    days = max(0, (now - since).days)
    if days < 1:
        return "customer since today"
    if days < 60:
        return f"customer for {days} day{'s' if days != 1 else ''}"
    return f"customer for {days // 30} months"


def describe_answer(answer: Answer) -> str:
    """One answer in a line: the score with its scale, or the words."""
    if answer.score is not None:
        kind = QUESTION_WORDS.get(answer.question_type or "", answer.question_type or "score")
        value = (
            ("yes" if answer.score else "no") if answer.question_type == "yes_no" else answer.score
        )
        segment = f" ({answer.segment})" if answer.segment and answer.question_type == "nps" else ""
        return f"{kind} {value}{segment}"
    words = (answer.text or "").strip().replace("\n", " ")
    return f"“{words[:280]}{'…' if len(words) > 280 else ''}”" if words else "(no words)"


def _buttons(view: CaseView) -> tuple[CardButton, ...]:
    case_id = str(view.case.id)
    status = view.case.status
    if status in (CaseStatus.RESOLVED, CaseStatus.NOT_AN_ISSUE):
        return ()
    buttons = []
    if status == CaseStatus.OPEN:
        buttons.append(CardButton("Claim", "claim", case_id, "primary"))
    else:  # claimed or waiting on the customer: a colleague may take it over
        buttons.append(CardButton("Take over", "take_over", case_id))
    buttons += [
        CardButton("Reply", "reply", case_id),
        CardButton("Resolve", "resolve", case_id, "primary" if status != CaseStatus.OPEN else None),
        CardButton("Not an issue", "not_an_issue", case_id, "danger"),
    ]
    return tuple(buttons)


def _analysis_line(m: DeskMarkup, answers: list[Answer]) -> str | None:
    reasons: list[str] = []
    themes: list[str] = []
    for a in answers:
        analysis = a.analysis or {}
        reasons += [r for r in analysis.get("reasons", []) if r not in reasons]
        themes += [t for t in analysis.get("themes", []) if t not in themes]
    parts = []
    if reasons:
        parts.append(m.bold("Why flagged:") + " " + "; ".join(reasons[:4]))
    if themes:
        parts.append(m.bold("Themes:") + " " + ", ".join(themes[:6]))
    return "\n".join(parts) or None


def _sentiment(answers: list[Answer]) -> str:
    scored = [a for a in answers if a.sentiment and a.text]
    if not scored:
        scored = [a for a in answers if a.sentiment]
    if not scored:
        return "not scored"
    last = scored[-1]
    return f"{last.sentiment} ({(last.polarity or 0):+.2f})"


NOTE_NOT_SENT = {
    "erased": "the customer erased their data",
    "blocked": "the customer has blocked the bot",
    "not_linked": "the customer's Telegram chat is not linked",
    "failed": "Telegram did not take it (send it again with Reply)",
}


def _note_delivery(m: DeskMarkup, case: Case) -> str | None:
    """What the card says about the resolve note: what was sent, or why nothing was."""
    if case.note_delivery in ("sent", "queued") and case.customer_note:
        note = case.customer_note[:600] + ("…" if len(case.customer_note) > 600 else "")
        head = (
            m.bold("Sent to the customer:")
            if case.note_delivery == "sent"
            else m.bold("Queued for the customer")
            + " (Telegram was away; it goes out when it is back):"
        )
        return head + "\n" + m.quote(note)
    if case.note_delivery in NOTE_NOT_SENT:
        return f"{m.bold('Nothing reached the customer:')} {NOTE_NOT_SENT[case.note_delivery]}."
    if case.note_delivery == "none":
        return m.italic("No message to the customer.")
    return None


def render_case(view: CaseView, now: datetime, m: DeskMarkup) -> DeskMessage:
    """The card for a case, and the plain-text line shown in notifications."""
    case, customer = view.case, view.customer
    name = customer.name or f"Customer #{customer.id}"
    mark = PRIORITY_MARK.get(case.priority, "🟡")
    status = (
        ERASED_WORDS
        if case.closed_by == CLOSED_BY_FORGET
        else STATUS_WORDS.get(case.status, case.status)  # type: ignore[call-overload]
    )
    scores = [describe_answer(a) for a in view.answers if a.score is not None]
    words = [describe_answer(a) for a in view.answers if a.score is None and a.text]
    order = "no order on file"
    if view.purchase is not None:
        order = f"{view.purchase.external_order_id} · {view.purchase.product}"
    facts = [
        (
            "Customer",
            f"{name} · {LANGUAGES.get(customer.language, customer.language)} · "
            f"{_how_long(view.customer_since, now)}",
        ),
        ("Channel", CHANNEL_NAMES[channel_of(view.chat_id)] if view.chat_id else "not linked"),
        ("Order", order),
        ("Touchpoint", view.touchpoint or "written outside a check-in"),
        ("Score", ", ".join(scores) or "no score"),
        ("Sentiment", _sentiment(view.answers)),
        ("Owner", mention(m, case.owner)),
    ]
    if case.respond_by and case.status == CaseStatus.OPEN:
        facts.append(("Respond by", case.respond_by.strftime("%a %d %b %H:%M UTC")))
    sections = [
        "\n".join(m.quote(w) for w in words) if words else m.italic("No words, only the score."),
    ]
    analysis = _analysis_line(m, view.answers)
    if analysis:
        sections.append(analysis)
    if view.added_answers:
        sections.append(m.bold(f"{view.added_answers} more flagged answer(s) in the thread."))
    if view.previous_answers:
        sections.append(
            m.bold("Earlier answers:")
            + " "
            + " · ".join(
                f"{a.created_at:%d %b} {a.touchpoint or 'message'}: {describe_answer(a)}"
                for a in view.previous_answers
            )
        )
    if view.previous_cases:
        sections.append(
            m.bold("Earlier cases:")
            + " "
            + " · ".join(
                f"#{c.id} {c.opened_at:%d %b} {STATUS_WORDS.get(c.status, c.status).lower()}"  # type: ignore[call-overload]
                for c in view.previous_cases
            )
        )
    if case.status in (CaseStatus.RESOLVED, CaseStatus.NOT_AN_ISSUE):
        closing = (
            f"{m.bold(status)} (/forget): they can no longer be reached"
            if case.closed_by == CLOSED_BY_FORGET
            else f"{m.bold(status)} by {mention(m, case.closed_by)}"
        )
        if case.resolution_note:
            closing += f": {case.resolution_note}"
        if case.gesture:
            closing += f"\n{m.bold('Goodwill gesture:')} {case.gesture}"
            if case.gesture_code:
                closing += f" · voucher code {m.code(case.gesture_code)}"
        delivery = _note_delivery(m, case)
        if delivery:
            closing += "\n" + delivery
        sections.append(closing)
    if case.recovered is not None:
        sections.append(
            m.bold("Closing the loop:")
            + " "
            + ("recovered, came back as a promoter 🎉" if case.recovered else "not recovered yet")
        )
    title = f"{mark} Case #{case.id} · {case.priority} priority · {status}"
    text = f"Case #{case.id} ({case.priority}): {name}, {', '.join(scores) or 'words only'}"
    if words:
        text += f" {words[0][:120]}"
    footer = f"Opened {case.opened_at:%a %d %b %H:%M} UTC"
    return DeskMessage(
        text=text,
        card=Card(
            title=title,
            facts=tuple(facts),
            sections=tuple(sections),
            buttons=_buttons(view),
            footer=footer,
        ),
    )
