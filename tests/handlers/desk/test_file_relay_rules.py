"""A photo or file from a customer with an open case, against the in-memory ports.

The relay decides (``handlers/desk/cases.py``): the words line says the file follows, and a
``thread_file`` post names the file by its channel's reference. The outbox delivers it
(``handlers/desk/file_relay.py``): fetched from the customer's channel and shared in the
thread; a file over the cap or one the channel no longer has becomes a line instead; an outage
backs off. End to end over the local servers: tests/bot/support/test_relay_files.py.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

from handlers.deps import Deps
from handlers.desk.cases import relay_customer_words
from handlers.desk.file_relay import FILE_ATTEMPTS
from handlers.desk.messages import DeskRejected, DeskUnavailable
from handlers.desk.outbox_delivery import DeliveryReport, deliver_outbox
from handlers.messages import (
    ATTACHMENT,
    FILE_ID,
    FILE_NAME,
    FILE_SIZE,
    ChannelUnavailable,
    FileRef,
    FileUnavailable,
    IncomingUpdate,
    SentMessage,
)
from storage.memory import MemoryUnitOfWork
from storage.models import Answer, Case, Customer, CustomerMessage, OutboxMessage
from tests.handlers.desk.memory_desk import NOW, MemoryDesk, memory_desk

CHAT = 4101
PHOTO = {ATTACHMENT: "photo", FILE_ID: "AgAD800", FILE_SIZE: "32000"}
MB = 1024 * 1024


@dataclass
class Customers:
    """The customers' channel: files by id; ``fail_next`` raises on the next fetches."""

    files: dict[str, bytes] = field(default_factory=dict)
    fetched: list[tuple[str, int]] = field(default_factory=list)
    fail_next: list[Exception] = field(default_factory=list)
    too_big: set[str] = field(default_factory=set)
    """Files the channel refuses to hand over (Telegram's 20 MB download limit)."""
    sent: list[str] = field(default_factory=list)

    async def fetch_file(self, ref: FileRef, max_bytes: int) -> bytes:
        """The file's bytes, as the channel would hand them over."""
        self.fetched.append((ref.file_id, max_bytes))
        if self.fail_next:
            raise self.fail_next.pop(0)
        if ref.file_id in self.too_big:
            raise FileUnavailable("too_big", "file is too big")
        if ref.file_id not in self.files:
            raise FileUnavailable("gone", "invalid file_id")
        return self.files[ref.file_id]

    async def send(self, message: object) -> SentMessage:
        """Messages to the customer (the "passed that on" reply)."""
        self.sent.append(getattr(message, "text", ""))
        return SentMessage(CHAT, len(self.sent))


def photo_update(text: str = "", extra: dict[str, str] | None = None) -> IncomingUpdate:
    """A Telegram message with a photo (and a caption, if ``text``)."""
    return IncomingUpdate("telegram", 7, "text", CHAT, CHAT, text=text,
                          extra=dict(PHOTO if extra is None else extra))  # fmt: skip


def with_case(**settings: object) -> tuple[MemoryDesk, Customers, Deps, Customer, int]:
    """A desk with Kim, whose case is open and its card posted (ts "card")."""
    desk = memory_desk(**settings)
    channel = Customers()
    desk.deps.customer_channel = channel  # type: ignore[assignment]
    ports = desk.ports
    kim = ports.tables.insert(Customer(name="Kim", language="en"))
    case = Case(customer_id=kim.id or 0, opened_at=NOW, open_for_customer=kim.id,
                slack_channel="C-support", slack_ts="card")  # fmt: skip
    case_id = ports.tables.insert(case).id or 0
    deps = Deps(
        checkins=ports.checkins,
        answers=ports.answers,
        conversations=ports.conversations,
        customers=ports.customers,
        message_queue=ports.message_queue,
        channel=channel,  # type: ignore[arg-type]
        journeys={},
        units=lambda: MemoryUnitOfWork(ports.tables),
        clock=desk.clock,
    )
    return desk, channel, deps, kim, case_id


def queued(desk: MemoryDesk) -> list[tuple[str, str | None, dict]]:
    """The desk posts queued: (kind, text, payload)."""
    return [(m.kind, m.text, m.payload) for m in desk.ports.tables.rows(OutboxMessage)]


async def test_a_captioned_photo_queues_the_words_then_the_file_by_reference() -> None:
    desk, _, deps, kim, _ = with_case()
    assert await relay_customer_words(desk.deps, deps, photo_update("Door dented"), kim,
                                      "Door dented")  # fmt: skip
    ref = FileRef(CHAT, "AgAD800", "photo", None, None, 32000)
    assert queued(desk) == [
        ("thread", "💬 *Kim:* Door dented _(sent with a photo, which follows below)_", {}),
        ("thread_file", None, ref.to_payload()),
    ]
    (answer,) = desk.ports.tables.rows(Answer)
    assert answer.text == "Door dented"  # the caption is kept as the customer's words
    (reply,) = desk.ports.tables.rows(CustomerMessage)
    assert "passed that on" in reply.text


async def test_a_photo_without_words_is_relayed_and_no_empty_answer_is_kept() -> None:
    desk, _, deps, kim, _ = with_case()
    assert await relay_customer_words(desk.deps, deps, photo_update(), kim, "")
    assert [(k, t) for k, t, _ in queued(desk)] == [
        ("thread", "💬 *Kim:* _sent a photo:_"),
        ("thread_file", None),
    ]
    assert desk.ports.tables.rows(Answer) == []


async def test_no_open_case_or_nothing_to_pass_on_leaves_the_message_to_the_usual_path() -> None:
    desk, _, deps, kim, case_id = with_case()
    sticker = {ATTACHMENT: "sticker"}
    assert not await relay_customer_words(desk.deps, deps, photo_update("", sticker), kim, "")
    assert await relay_customer_words(desk.deps, deps, photo_update("Ugh", sticker), kim, "Ugh")
    note = "(sent with a sticker, which the bot does not pass on: ask the customer for it"
    assert queued(desk) == [("thread", f"💬 *Kim:* Ugh _{note} if you need it)_", {})]
    case = desk.ports.tables.get(Case, case_id)
    assert case is not None
    case.open_for_customer = None
    assert not await relay_customer_words(desk.deps, deps, photo_update("Hi"), kim, "Hi")
    assert len(queued(desk)) == 1


async def test_the_outbox_fetches_the_file_and_shares_it_under_the_card() -> None:
    desk, channel, deps, kim, _ = with_case()
    channel.files["AgAD800"] = b"\xff\xd8jpeg bytes"
    pdf = {ATTACHMENT: "document", FILE_ID: "BQAD1", FILE_NAME: "receipt.pdf"}
    channel.files["BQAD1"] = b"%PDF"
    await relay_customer_words(desk.deps, deps, photo_update("Dented"), kim, "Dented")
    await relay_customer_words(desk.deps, deps, photo_update("", pdf), kim, "")
    assert await deliver_outbox(desk.deps) == DeliveryReport(sent=4)
    assert [text for _, text, ts, _ in desk.desk.posts] == [
        "💬 *Kim:* Dented _(sent with a photo, which follows below)_",
        "💬 *Kim:* _sent a document:_",
    ]
    assert desk.desk.files == [
        ("C-support", "card", b"\xff\xd8jpeg bytes", "photo.jpg", "Photo from the customer"),
        ("C-support", "card", b"%PDF", "receipt.pdf", "Document from the customer"),
    ]
    assert channel.fetched == [("AgAD800", 10 * MB), ("BQAD1", 10 * MB)]


async def test_a_file_over_the_cap_or_gone_becomes_a_line_and_nothing_is_uploaded() -> None:
    desk, channel, deps, kim, _ = with_case(relay_max_bytes=2 * MB)
    big = {**PHOTO, ATTACHMENT: "video", FILE_ID: "BAAD", FILE_SIZE: str(25 * MB)}
    await relay_customer_words(desk.deps, deps, photo_update("", big), kim, "")
    await relay_customer_words(desk.deps, deps, photo_update("", {**PHOTO, FILE_ID: "old"}),
                               kim, "")  # fmt: skip
    unsized = {ATTACHMENT: "document", FILE_ID: "BQAD2"}  # Telegram refuses it when fetched
    channel.too_big.add("BQAD2")
    await relay_customer_words(desk.deps, deps, photo_update("", unsized), kim, "")
    assert (await deliver_outbox(desk.deps)).sent == 6
    lines = [text for _, text, ts, _ in desk.desk.posts if text.startswith("📎")]
    assert lines == [
        "📎 The customer sent a 25 MB video, which was not passed on: files over 2 MB (or too "
        "large for their chat app to hand over) are not relayed. Ask them for it another way "
        "if you need it.",
        "📎 The customer's photo was not passed on: Telegram no longer has it. Ask them to "
        "send it again if you need it.",
        "📎 The customer sent a document, which was not passed on: files over 2 MB (or too "
        "large for their chat app to hand over) are not relayed. Ask them for it another way "
        "if you need it.",
    ]
    assert desk.desk.files == []
    assert [f for f, _ in channel.fetched] == ["old", "BQAD2"]  # the video was not fetched


async def test_an_outage_backs_off_and_a_refused_upload_still_tells_the_thread() -> None:
    desk, channel, deps, kim, _ = with_case()
    channel.files["AgAD800"] = b"jpeg"
    await relay_customer_words(desk.deps, deps, photo_update(), kim, "")
    channel.fail_next.append(ChannelUnavailable("Telegram is away"))
    assert await deliver_outbox(desk.deps) == DeliveryReport(sent=1, held=True)
    (file_post,) = [m for m in desk.ports.tables.rows(OutboxMessage) if m.kind == "thread_file"]
    assert (file_post.status, file_post.attempts) == ("pending", 1)
    desk.clock.now = file_post.next_attempt_at
    desk.desk.fail_next.append(DeskRejected("files_upload_v2: file_uploads_disabled"))
    assert await deliver_outbox(desk.deps) == DeliveryReport(sent=1)
    assert desk.desk.posts[-1][1].startswith("📎 The customer's photo could not be shared here")
    assert desk.desk.files == []


async def test_a_file_the_channel_keeps_failing_to_hand_over_stops_holding_the_queue() -> None:
    """The desk's queue waits behind a file post: after FILE_ATTEMPTS failed fetches a line
    stands in for the file, and the posts behind it go out."""
    desk, channel, deps, kim, _ = with_case()
    channel.files["AgAD800"] = b"jpeg"
    await relay_customer_words(desk.deps, deps, photo_update(), kim, "")
    await relay_customer_words(desk.deps, deps, photo_update("And the handle too", {}), kim,
                               "And the handle too")  # fmt: skip
    channel.fail_next.extend(ChannelUnavailable("Telegram is away") for _ in range(FILE_ATTEMPTS))
    held = []
    for _ in range(FILE_ATTEMPTS):
        report = await deliver_outbox(desk.deps)
        held.append(report.held)
        (post,) = [m for m in desk.ports.tables.rows(OutboxMessage) if m.kind == "thread_file"]
        desk.clock.now = max(desk.clock.now, post.next_attempt_at)
    assert held == [True] * (FILE_ATTEMPTS - 1) + [False]
    assert desk.desk.files == []
    texts = [text for _, text, _, _ in desk.desk.posts]
    assert texts[-2] == (
        f"📎 The customer's photo was not passed on: it could not be fetched from Telegram "
        f"(tried {FILE_ATTEMPTS} times). Ask them to send it again if you need it."
    )
    assert texts[-1] == "💬 *Kim:* And the handle too"  # no longer held behind the file


async def test_a_long_upload_keeps_the_round_s_lease_so_no_other_round_sends_it_again() -> None:
    """A file can take longer to fetch and upload than the round's 15 s lease: the round keeps
    renewing it while the post is on its way, so a second round stands by instead of
    sending the same file again."""
    desk, channel, deps, kim, _ = with_case()
    channel.files["AgAD800"] = b"jpeg"
    await relay_customer_words(desk.deps, deps, photo_update(), kim, "")
    started, release = asyncio.Event(), asyncio.Event()
    upload = desk.desk.upload_file

    async def slow_upload(*args: object) -> str:
        started.set()
        await release.wait()
        return await upload(*args)  # type: ignore[arg-type]

    desk.desk.upload_file = slow_upload  # type: ignore[method-assign]
    first = asyncio.create_task(deliver_outbox(desk.deps, renew_every=0.01))
    await asyncio.wait_for(started.wait(), 1)
    desk.clock.now += timedelta(seconds=20)  # past the lease the round took
    await asyncio.sleep(0.05)  # the round renews it at the new time
    second = await asyncio.wait_for(deliver_outbox(desk.deps, renew_every=0.01), 1)
    assert second == DeliveryReport(skipped_lease=True)
    release.set()
    assert (await first).sent == 2
    assert len(desk.desk.files) == 1


async def test_an_interrupted_attempt_s_file_is_found_not_shared_twice() -> None:
    """An attempt that began and was not recorded (started_at kept): a file of the same name
    and size already in the thread is that attempt's (looked for before fetching when the
    size is known, after it when not); one that is not there is shared."""
    desk, channel, deps, kim, _ = with_case()
    photo = {ATTACHMENT: "photo", FILE_SIZE: "4"}
    channel.files |= {"sized": b"jpeg", "unsized": b"jpg!", "new": b"other jpeg"}
    for extra in ({**photo, FILE_ID: "sized"}, {ATTACHMENT: "photo", FILE_ID: "unsized"},
                  {ATTACHMENT: "photo", FILE_ID: "new"}):  # fmt: skip
        await relay_customer_words(desk.deps, deps, photo_update("", extra), kim, "")
    for post in desk.ports.tables.rows(OutboxMessage):
        if post.kind == "thread_file":
            post.started_at = NOW  # all three attempts were cut off, the first two after
    shared = ("C-support", "card", b"jpeg", "photo.jpg", "Photo from the customer")
    desk.desk.files += [shared, (*shared[:2], b"jpg!", *shared[3:])]  # their upload
    assert (await deliver_outbox(desk.deps)).sent == 6
    assert [content for _, _, content, _, _ in desk.desk.files] == [b"jpeg", b"jpg!", b"other jpeg"]
    assert [f for f, _ in channel.fetched] == ["unsized", "new"]  # the sized one: not fetched


async def test_a_desk_that_cannot_say_what_is_in_the_thread_gets_the_file_again() -> None:
    """Looking for an interrupted attempt's share may fail (a missing scope): the file is
    shared rather than lost."""
    desk, channel, deps, kim, _ = with_case()
    channel.files["AgAD800"] = b"jpeg"
    await relay_customer_words(desk.deps, deps, photo_update(), kim, "")
    (post,) = [m for m in desk.ports.tables.rows(OutboxMessage) if m.kind == "thread_file"]
    post.started_at = NOW

    async def refused(*_: object) -> str | None:
        raise DeskRejected("conversations.replies: missing_scope")

    desk.desk.find_file = refused  # type: ignore[method-assign]
    assert (await deliver_outbox(desk.deps)).sent == 2
    assert [content for _, _, content, _, _ in desk.desk.files] == [b"jpeg"]


async def test_an_upload_that_keeps_failing_becomes_a_line_on_the_last_try() -> None:
    """An upload that times out each time (a slow link) is tried again with backoff, and on
    try FILE_ATTEMPTS a line stands in for it, so the posts behind it are not held for ever."""
    desk, channel, deps, kim, _ = with_case()
    channel.files["AgAD800"] = b"jpeg"
    await relay_customer_words(desk.deps, deps, photo_update(), kim, "")
    await relay_customer_words(desk.deps, deps, photo_update("The handle too", {}), kim,
                               "The handle too")  # fmt: skip

    async def times_out(*_: object) -> str:
        raise DeskUnavailable("files_upload_v2: TimeoutError")

    desk.desk.upload_file = times_out  # type: ignore[method-assign]
    first = await deliver_outbox(desk.deps)  # the words line, then the upload times out
    assert (first.sent, first.held) == (1, True)
    (post,) = [m for m in desk.ports.tables.rows(OutboxMessage) if m.kind == "thread_file"]
    post.attempts = FILE_ATTEMPTS - 1  # as if it had failed on every try but this one
    desk.clock.now = post.next_attempt_at
    assert (await deliver_outbox(desk.deps)).sent == 2
    texts = [text for _, text, _, _ in desk.desk.posts]
    tried = f"tried {FILE_ATTEMPTS} times"
    assert texts[-2] == ("📎 The customer's photo could not be shared here (files_upload_v2: "
                         f"TimeoutError; {tried}): ask them for it.")  # fmt: skip
    assert texts[-1] == "💬 *Kim:* The handle too"


async def test_past_the_hour_s_share_of_files_words_still_go_and_files_wait_for_the_next() -> None:
    """One customer cannot fill the desk's shared queue with files: past
    ``relay_files_per_hour`` their words still reach the thread, noting the file that was not
    passed on; a file alone is answered as usual; an hour later files go again."""
    desk, _, deps, kim, _ = with_case(relay_files_per_hour=2)
    for _ in range(2):
        assert await relay_customer_words(desk.deps, deps, photo_update(), kim, "")
    assert await relay_customer_words(desk.deps, deps, photo_update("And this"), kim, "And this")
    assert not await relay_customer_words(desk.deps, deps, photo_update(), kim, "")
    assert [k for k, _, _ in queued(desk)].count("thread_file") == 2
    assert queued(desk)[-1] == (
        "thread",
        "💬 *Kim:* And this _(sent with a photo, not passed on: more than 2 files in an hour; "
        "ask the customer for it if you need it)_",
        {},
    )
    desk.clock.now += timedelta(hours=1, seconds=1)
    assert await relay_customer_words(desk.deps, deps, photo_update(), kim, "")
    assert [k for k, _, _ in queued(desk)].count("thread_file") == 3
