"""SQLModel tables for everything Mentorbot stores. All datetimes are timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Numeric, UniqueConstraint, func
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class OptInState(StrEnum):
    """Where a customer stands with check-ins."""

    PENDING = "pending"  # purchase known, has not opened the deep link yet
    OPTED_IN = "opted_in"
    OPTED_OUT = "opted_out"  # said /stop
    UNREACHABLE = "unreachable"  # blocked the bot
    FORGOTTEN = "forgotten"  # personal data erased on request


class CheckInStatus(StrEnum):
    """The life of one check-in."""

    SCHEDULED = "scheduled"
    SENT = "sent"
    ANSWERED = "answered"
    REMINDED = "reminded"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class ConversationStep(StrEnum):
    """Where a chat stands in a conversation; stored as its string in ``conversation_states``.

    The transitions between steps, per capability, are in ``handlers/conversation_states.py``.
    """

    IDLE = "idle"
    AWAITING_ORDER = "awaiting_order"
    AWAITING_PROOF = "awaiting_proof"
    QUESTION = "question"
    FOLLOW_UP = "follow_up"
    TESTIMONIAL = "testimonial"
    TESTIMONIAL_CONSENT = "testimonial_consent"


class CaseStatus(StrEnum):
    """The life of a support case."""

    OPEN = "open"
    CLAIMED = "claimed"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    RESOLVED = "resolved"
    NOT_AN_ISSUE = "not_an_issue"


CLOSED_BY_FORGET = "customer"
"""``Case.closed_by`` of a case closed because its customer erased their data (/forget)."""


class Customer(SQLModel, table=True):
    """A person who bought something; personal fields are erased on /forget."""

    __tablename__ = "customers"
    id: int | None = Field(default=None, primary_key=True)
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320, index=True)
    phone: str | None = Field(default=None, max_length=40, index=True)
    postcode: str | None = Field(default=None, max_length=20)
    language: str = Field(default="en", max_length=5)
    timezone: str = Field(default="Europe/Amsterdam", max_length=64)
    opt_in_state: str = Field(default=OptInState.PENDING, max_length=20, index=True)
    consent_checkins: bool = False
    consent_marketing: bool = False
    segment: str | None = Field(default=None, max_length=20)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Purchase(SQLModel, table=True):
    """One order, identified by the shop's own order id."""

    __tablename__ = "purchases"
    __table_args__ = (Index("ix_purchases_product", "product"),)  # insights filter by product
    id: int | None = Field(default=None, primary_key=True)
    external_order_id: str = Field(max_length=100, unique=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    product: str = Field(max_length=200)
    sku: str | None = Field(default=None, max_length=100, index=True)
    amount: Decimal | None = Field(default=None, sa_type=Numeric(12, 2))  # type: ignore[call-overload]
    currency: str | None = Field(default=None, max_length=3)
    purchased_at: datetime
    delivered_at: datetime | None = None
    journey: str = Field(max_length=64)
    referral_code: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


# A customer linking their chat types the order number in any case (verify_order).
Index("ix_purchases_order_upper", func.upper(Purchase.__table__.c.external_order_id))


class ChannelLink(SQLModel, table=True):
    """How a customer is reached on a channel: the one-time opt-in token, then the chat."""

    __tablename__ = "channel_links"
    __table_args__ = (UniqueConstraint("channel", "chat_id", name="uq_channel_links_chat"),)
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    channel: str = Field(default="telegram", max_length=20)
    token: str = Field(max_length=64, unique=True)
    token_expires_at: datetime
    token_used_at: datetime | None = None
    chat_id: int | None = Field(default=None, sa_type=BigInteger)  # type: ignore[call-overload]
    user_id: int | None = Field(default=None, sa_type=BigInteger)  # type: ignore[call-overload]
    linked_at: datetime | None = None
    # When the customer last wrote in this chat (WhatsApp's 24-hour customer-service window),
    # and when the channel said the chat cannot be reached (a permanent delivery error).
    last_inbound_at: datetime | None = None
    unreachable_at: datetime | None = None


class CheckIn(SQLModel, table=True):
    """One scheduled conversation at one touchpoint."""

    __tablename__ = "checkins"
    __table_args__ = (
        Index("ix_checkins_status_due", "status", "due_at"),
        Index("ix_checkins_status_sent", "status", "sent_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    purchase_id: int | None = Field(default=None, foreign_key="purchases.id", index=True)
    case_id: int | None = Field(default=None, index=True)  # the case a recovery check-in follows
    journey: str = Field(max_length=64)
    touchpoint: str = Field(max_length=64)
    due_at: datetime
    status: str = Field(default=CheckInStatus.SCHEDULED, max_length=20)
    attempt_count: int = 0
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_until: datetime | None = None
    sent_at: datetime | None = None
    reminded_at: datetime | None = None
    answered_at: datetime | None = None
    expires_at: datetime | None = None
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class Answer(SQLModel, table=True):
    """One answer a customer gave, kept at once; scoring fills the sentiment fields later."""

    __tablename__ = "answers"
    # Managers' insights count index ranges instead of scanning the table (storage/insights*).
    __table_args__ = (
        Index("ix_answers_scores", "question_type", "score", "created_at"),
        Index(
            "ix_answers_words", "question_type", "created_at", "sentiment", "polarity", "segment"
        ),
        Index("ix_answers_segments", "segment", "created_at"),
        Index("ix_answers_product_created", "product", "created_at"),
        Index("ix_answers_source_message", "customer_id", "source_message_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    checkin_id: int | None = Field(default=None, foreign_key="checkins.id", index=True)
    question_id: str | None = Field(default=None, max_length=32)  # None: unsolicited text
    question_type: str | None = Field(default=None, max_length=10)
    score: int | None = None
    text: str | None = None
    language: str | None = Field(default=None, max_length=5)
    # telegram, whatsapp; answers stored before migration 0013 default to telegram
    channel: str | None = Field(
        default=None, max_length=20, sa_column_kwargs={"server_default": "telegram"}
    )
    raw_update_id: int | None = Field(default=None, sa_type=BigInteger)  # type: ignore[call-overload]
    # The chat message the words came in, so an edit of that message revises this answer.
    source_message_id: int | None = Field(default=None, sa_type=BigInteger)  # type: ignore[call-overload]
    # Copied from the check-in and purchase when stored, so insights filter without joins.
    touchpoint: str | None = Field(default=None, max_length=64)
    product: str | None = Field(default=None, max_length=200)
    scoring_status: str = Field(default="unscored", max_length=20)
    polarity: float | None = None
    sentiment: str | None = Field(default=None, max_length=10)
    segment: str | None = Field(default=None, max_length=20)
    escalate: bool | None = None
    analysis: dict[str, Any] | None = Field(default=None, sa_type=JSON)  # type: ignore[call-overload]
    # The file the words came with, as its channel names it (handlers.messages.FileRef), so a
    # case this answer opens or joins gets the file in its thread.
    attachment: dict[str, Any] | None = Field(default=None, sa_type=JSON)  # type: ignore[call-overload]
    created_at: datetime = Field(default_factory=utcnow, index=True)


class ConversationState(SQLModel, table=True):
    """Where a chat stands in a conversation, so any worker can take the next update."""

    __tablename__ = "conversation_states"
    channel: str = Field(primary_key=True, max_length=20)
    chat_id: int = Field(primary_key=True, sa_type=BigInteger)  # type: ignore[call-overload]
    user_id: int = Field(primary_key=True, sa_type=BigInteger)  # type: ignore[call-overload]
    step: str = Field(default=ConversationStep.IDLE.value, max_length=32)
    # indexed: expiry, /stop and a blocked bot drop the conversations of a check-in
    checkin_id: int | None = Field(default=None, foreign_key="checkins.id", index=True)
    question_index: int = 0
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # type: ignore[call-overload]
    version: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


class ProcessedUpdate(SQLModel, table=True):
    """Update ids already handled, so a re-delivered update is processed once."""

    __tablename__ = "processed_updates"
    channel: str = Field(primary_key=True, max_length=20)
    update_id: int = Field(primary_key=True, sa_type=BigInteger)  # type: ignore[call-overload]
    processed_at: datetime = Field(default_factory=utcnow, index=True)


class InboxUpdate(SQLModel, table=True):
    """An update as it arrived from a channel, stored before the channel is told it was received.

    Handled from here in order per chat: ``claimed_by``/``claimed_until`` is a short lease of the
    worker handling the chat's updates (a dead worker's lease runs out in seconds), and
    ``handled_at`` is set in the transaction that stores the update's answer.
    """

    __tablename__ = "inbox_updates"
    __table_args__ = (
        Index("ix_inbox_updates_chat", "channel", "chat_id", "update_id"),
        Index("ix_inbox_updates_handled_at", "handled_at"),
    )
    channel: str = Field(primary_key=True, max_length=20)
    update_id: int = Field(primary_key=True, sa_type=BigInteger)  # type: ignore[call-overload]
    chat_id: int = Field(sa_type=BigInteger)  # type: ignore[call-overload]
    payload: str  # the update as the channel sent it (Telegram's JSON)
    received_at: datetime = Field(default_factory=utcnow)
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_until: datetime | None = None
    handled_at: datetime | None = None


class Case(SQLModel, table=True):
    """An unhappy customer handed to support."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("uq_cases_open_for_customer", "open_for_customer", unique=True),
        Index("ix_cases_opened_at", "opened_at"),
        # A staff reply in a case's Slack thread finds its case by the thread.
        Index("ix_cases_slack_thread", "slack_channel", "slack_ts"),
    )
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    answer_id: int | None = Field(default=None, foreign_key="answers.id", unique=True)
    status: str = Field(default=CaseStatus.OPEN, max_length=24, index=True)
    priority: str = Field(default="normal", max_length=10)
    owner: str | None = Field(default=None, max_length=64)
    reasons: list[str] = Field(default_factory=list, sa_type=JSON)  # type: ignore[call-overload]
    respond_by: datetime | None = None
    slack_channel: str | None = Field(default=None, max_length=32)
    slack_ts: str | None = Field(default=None, max_length=32)
    resolution_note: str | None = None
    gesture: str | None = Field(default=None, max_length=200)
    opened_at: datetime = Field(default_factory=utcnow)
    claimed_at: datetime | None = None
    resolved_at: datetime | None = None
    # Equals customer_id while the case is open, NULL once closed: a unique column that lets the
    # database itself refuse a second open case for the same customer (NULLs never collide).
    open_for_customer: int | None = None
    closed_by: str | None = Field(default=None, max_length=64)
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None
    recovery_checkin_id: int | None = None
    recovered: bool | None = None  # a detractor who came back as a promoter
    gesture_code: str | None = Field(default=None, max_length=64)  # the voucher handed out
    customer_note: str | None = None  # the resolve note as written to the customer
    # What became of the resolve note: sent, blocked, erased, not_linked, failed.
    note_delivery: str | None = Field(default=None, max_length=16)


class Event(SQLModel, table=True):
    """The audit log: who did what, when."""

    __tablename__ = "events"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    kind: str = Field(max_length=64, index=True)
    actor: str | None = Field(default=None, max_length=100)
    customer_id: int | None = Field(default=None, index=True)
    case_id: int | None = None
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # type: ignore[call-overload]


class OutboxStatus(StrEnum):
    """Where one outbox message stands."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # refused for good (e.g. channel_not_found); kept for the operator


class OutboxMessage(SQLModel, table=True):
    """A post to the support desk (Slack), stored first and delivered in order with retries."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_id", "status", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)  # case_card, card_update, thread, thread_file, channel
    case_id: int | None = Field(default=None, index=True)
    channel: str | None = Field(default=None, max_length=32)
    text: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # type: ignore[call-overload]
    status: str = Field(default=OutboxStatus.PENDING, max_length=10)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str | None = Field(default=None, max_length=500)
    result_ts: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    # set before a case card is posted: an attempt after a crash looks for the card first
    started_at: datetime | None = None


class CustomerMessage(SQLModel, table=True):
    """A message to a customer's chat, stored with the change it announces and delivered in
    order per chat, with retries (greetings, acknowledgements, staff replies, thank-yous)."""

    __tablename__ = "customer_messages"
    __table_args__ = (
        Index("ix_customer_messages_chat", "status", "channel", "chat_id", "id"),
        Index("ix_customer_messages_due", "status", "next_attempt_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(default="telegram", max_length=20)
    chat_id: int = Field(sa_type=BigInteger)  # type: ignore[call-overload]
    customer_id: int | None = Field(default=None, index=True)
    kind: str = Field(max_length=32)  # greeting, acknowledgement, staff_reply, thanks, ...
    text: str
    buttons: list[Any] = Field(default_factory=list, sa_type=JSON)  # type: ignore[call-overload]
    status: str = Field(default=OutboxStatus.PENDING, max_length=10)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    claimed_until: datetime | None = None
    last_error: str | None = Field(default=None, max_length=500)
    message_id: int | None = Field(default=None, sa_type=BigInteger)  # type: ignore[call-overload]
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class VoucherCode(SQLModel, table=True):
    """A voucher code of a goodwill gesture: from the configured pool, or generated; handed out
    to one case at most (``case_id`` unique), never twice."""

    __tablename__ = "voucher_codes"
    __table_args__ = (Index("ix_voucher_codes_free", "gesture", "case_id"),)
    id: int | None = Field(default=None, primary_key=True)
    gesture: str = Field(max_length=75)
    code: str = Field(max_length=64, unique=True)
    case_id: int | None = Field(default=None, foreign_key="cases.id", unique=True)
    generated: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    handed_out_at: datetime | None = None


class Lease(SQLModel, table=True):
    """A named job only one worker may run at a time (e.g. delivering the outbox in order)."""

    __tablename__ = "leases"
    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=100)
    until: datetime


class TrackedLink(SQLModel, table=True):
    """An opaque code behind /r/<code>: a referral link or a review invitation link."""

    __tablename__ = "tracked_links"
    code: str = Field(primary_key=True, max_length=32)
    kind: str = Field(max_length=16, index=True)  # referral, review
    customer_id: int | None = Field(default=None, foreign_key="customers.id", index=True)
    platform: str | None = Field(default=None, max_length=64)
    target_url: str = Field(max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)


class LinkClick(SQLModel, table=True):
    """One click on a tracked link: the code and the time, nothing about the person."""

    __tablename__ = "link_clicks"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, index=True)
    at: datetime = Field(default_factory=utcnow, index=True)


class AdvocacyAsk(SQLModel, table=True):
    """A review invitation or an ambassador ask to one customer, and their answer."""

    __tablename__ = "advocacy_asks"
    id: int | None = Field(default=None, primary_key=True)
    # e.g. "review:checkin:12" or "ambassador:customer:7": the database refuses a second ask.
    dedupe_key: str = Field(max_length=80, unique=True)
    kind: str = Field(max_length=16, index=True)  # review, ambassador
    customer_id: int = Field(foreign_key="customers.id", index=True)
    checkin_id: int | None = Field(default=None, index=True)
    status: str = Field(default="scheduled", max_length=16, index=True)
    due_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    choices: list[str] = Field(default_factory=list, sa_type=JSON)  # type: ignore[call-overload]
    answered_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Testimonial(SQLModel, table=True):
    """Words a customer allowed us to quote, with the consent and its date."""

    __tablename__ = "testimonials"
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int | None = Field(default=None, foreign_key="customers.id", index=True)
    text: str
    language: str | None = Field(default=None, max_length=5)
    consent: bool = False
    consent_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class ReferralCredit(SQLModel, table=True):
    """A purchase that came with an ambassador's referral code, credited once."""

    __tablename__ = "referral_credits"
    id: int | None = Field(default=None, primary_key=True)
    purchase_id: int = Field(foreign_key="purchases.id", unique=True)
    ambassador_id: int = Field(foreign_key="customers.id", index=True)
    code: str = Field(max_length=32, index=True)
    credited_at: datetime = Field(default_factory=utcnow)
    thanked_at: datetime | None = None


class AnswerRollup(SQLModel, table=True):
    """Answers of one UTC day counted per question type, score, product, touchpoint and
    language, with the sums the insights read from words (storage/insights/rollup.py); the
    ``totals`` rows count them per question type and score only (over every product,
    touchpoint and language: those columns are NULL there)."""

    __tablename__ = "answer_rollups"
    __table_args__ = (Index("ix_answer_rollups_totals_day", "totals", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    day: date
    totals: bool = False
    question_type: str | None = Field(default=None, max_length=10)
    score: int | None = None
    product: str | None = Field(default=None, max_length=200)
    touchpoint: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=5)
    answers: int = 0
    polarity_n: int = 0
    polarity_sum: float = 0.0
    positive: int = 0
    negative: int = 0
    ambassadors: int = 0


class AnswerRollupDay(SQLModel, table=True):
    """A UTC day whose answers are in ``answer_rollups``: every answer of the day with an id up
    to ``max_answer_id`` is counted there; later ones are read from ``answers``."""

    __tablename__ = "answer_rollup_days"
    day: date = Field(primary_key=True)
    max_answer_id: int = Field(default=0, sa_type=BigInteger)  # type: ignore[call-overload]
    rolled_at: datetime = Field(default_factory=utcnow)


from storage.send_pace import SendPace, SendPaceChat, SendSlot  # noqa: E402, F401  (send budget)
from storage.whatsapp_tables import WhatsAppSeen, WhatsAppSent  # noqa: E402, F401  (WhatsApp)
