"""Staff see the photo: a photo or file from a customer with an open case reaches the case's
Slack thread, end to end (the real python-telegram-bot fetching from the local Bot API server,
slack_sdk's files_upload_v2 uploading to the local Slack server), on SQLite and PostgreSQL.

Words go first, with a line saying the file follows; the file's bytes are shared in the thread
as the customer sent them. A file over ``support.relay_max_mb``, over Telegram's 20 MB
download limit, or one Telegram no longer has becomes a line in the thread instead. Without
an open case nothing changes: a caption is words, a photo alone is answered.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import update

from handlers.texts import say
from storage.models import OutboxMessage
from tests.bot.support.desk_harness import CHANNEL, DeskHarness

MB = 1024 * 1024
PHOTO = b"\xff\xd8\xff\xe0 the door, dented on delivery " + bytes(range(256)) * 8 + b"\xff\xd9"


def replies(desk: DeskHarness, ts: str) -> list[dict[str, Any]]:
    """The messages under a card, oldest first (without the card)."""
    return [m for m in desk.slack.thread(CHANNEL, ts) if m["ts"] != ts]


def shared_bytes(desk: DeskHarness, message: dict[str, Any]) -> bytes | None:
    """The bytes of the one file a thread message shares (None: it shares none)."""
    files = message.get("files") or []
    if not files:
        return None
    (file,) = files
    return desk.slack.files[file["id"]].content


async def relayed(desk: DeskHarness, chat: int, push: Any) -> None:
    """The customer sends something (``push()``) and hears it was passed on; the desk
    delivers."""
    since = desk.tg.server.last_seq
    push()
    await desk.tg.next_message(chat, since, contains="passed that on to our support team")
    await desk.settle()


async def test_photos_with_and_without_words_reach_the_case_thread(desk: DeskHarness) -> None:
    await desk.unhappy_customer(3201, "C-201")
    (case,) = await desk.cases()
    ts = case.slack_ts or ""
    before = len(replies(desk, ts))
    await relayed(desk, 3201, lambda: desk.tg.server.push_photo(3201, "How it arrived", PHOTO))
    second = PHOTO[::-1]
    await relayed(desk, 3201, lambda: desk.tg.server.push_photo(3201, data=second))
    pdf = b"%PDF-1.4 delivery note"
    await relayed(desk, 3201, lambda: desk.tg.server.push_document(3201, pdf, "note.pdf"))
    new = replies(desk, ts)[before:]
    assert [(m["text"], shared_bytes(desk, m)) for m in new] == [
        ("💬 *Ann Smith:* How it arrived _(sent with a photo, which follows below)_", None),
        ("", PHOTO),
        ("💬 *Ann Smith:* _sent a photo:_", None),
        ("", second),
        ("💬 *Ann Smith:* _sent a document:_", None),
        ("", pdf),
    ]
    titles = [(f["name"], f["title"]) for m in new for f in m.get("files") or []]
    assert titles == [("photo.jpg", "Photo from the customer")] * 2 + [
        ("note.pdf", "Document from the customer")
    ]
    sent = desk.tg.server.messages(3201)
    assert not any(say("attachment_unread", "en") == m.get("text") for m in sent)
    assert [c.method for c in desk.tg.server.calls].count("getFile") == 3


async def test_a_file_too_big_or_gone_becomes_a_line_and_is_not_uploaded(
    desk: DeskHarness,
) -> None:
    await desk.unhappy_customer(3202, "C-202")
    (case,) = await desk.cases()
    ts = case.slack_ts or ""
    before = len(replies(desk, ts))
    big = bytes(11 * MB)  # over the default support.relay_max_mb of 10: never fetched
    await relayed(desk, 3202, lambda: desk.tg.server.push_document(3202, big, "unboxing.mp4",
                                                                     "video/mp4"))  # fmt: skip

    def gone() -> None:  # Telegram no longer has it by the time the desk asks
        update = desk.tg.server.push_photo(3202, "Scratches too", PHOTO)
        desk.tg.server.forget_file(update["message"]["photo"][-1]["file_id"])

    await relayed(desk, 3202, gone)
    settings = desk.support.deps.settings
    assert settings.relay_max_bytes == 10 * MB
    desk.support.deps.settings = replace(settings, relay_max_bytes=50 * MB)
    huge = bytes(20 * MB + 1)  # under the cap now, but past what bots may download
    await relayed(desk, 3202, lambda: desk.tg.server.push_document(3202, huge, "long.mp4",
                                                                     "video/mp4"))  # fmt: skip
    texts = [m["text"] for m in replies(desk, ts)[before:]]
    assert texts == [
        "💬 *Ann Smith:* _sent a document:_",
        "📎 The customer sent a 11 MB document, which was not passed on: files over 10 MB (or "
        "too large for their chat app to hand over) are not relayed. Ask them for it another "
        "way if you need it.",
        "💬 *Ann Smith:* Scratches too _(sent with a photo, which follows below)_",
        "📎 The customer's photo was not passed on: Telegram no longer has it. Ask them to send "
        "it again if you need it.",
        "💬 *Ann Smith:* _sent a document:_",
        "📎 The customer sent a 20 MB document, which was not passed on: files over 50 MB (or "
        "too large for their chat app to hand over) are not relayed. Ask them for it another "
        "way if you need it.",
    ]
    assert desk.slack.files == {}  # nothing was uploaded
    assert [c.method for c in desk.tg.server.calls].count("getFile") == 2
    assert all(m.status == "sent" for m in await desk.outbox())


async def test_without_an_open_case_a_photo_is_answered_as_before(desk: DeskHarness) -> None:
    await desk.tg.opt_in(3203, "C-203")
    since = desk.tg.server.last_seq
    desk.tg.server.push_photo(3203, "Nice box", PHOTO)
    reply = await desk.tg.next_message(3203, since)
    assert reply["text"] == say("unsolicited", "en")
    since = desk.tg.server.last_seq
    desk.tg.server.push_photo(3203, data=PHOTO)
    reply = await desk.tg.next_message(3203, since)
    assert reply["text"] == say("attachment_unread", "en")
    await desk.settle()
    assert await desk.cases() == [] and desk.slack.files == {}
    assert "getFile" not in [c.method for c in desk.tg.server.calls]


async def test_a_photo_whose_words_open_a_case_follows_the_card(desk: DeskHarness) -> None:
    """No case yet: the angry words with the photo open one, and the photo they came with is
    shared in the new case's thread, under the card."""
    await desk.tg.opt_in(3206, "C-206")
    since = desk.tg.server.last_seq
    words = "The door arrived broken and the glass is shattered, I want a refund"
    desk.tg.server.push_photo(3206, words, PHOTO)
    await desk.tg.next_message(3206, since, contains="will get back to you")
    await desk.settle()
    (case,) = await desk.cases()
    assert case.slack_ts and words in desk.card_text(case.slack_ts)
    assert [shared_bytes(desk, m) for m in replies(desk, case.slack_ts)] == [PHOTO]


async def test_a_photo_lands_only_in_its_own_customer_s_thread(desk: DeskHarness) -> None:
    await desk.unhappy_customer(3204, "C-204")
    await desk.unhappy_customer(3205, "C-205")
    first, second = await desk.cases()
    assert first.slack_ts != second.slack_ts
    quiet = len(replies(desk, first.slack_ts or ""))
    await relayed(desk, 3205, lambda: desk.tg.server.push_photo(3205, "Mine", PHOTO))
    assert len(replies(desk, first.slack_ts or "")) == quiet
    line, file = replies(desk, second.slack_ts or "")[-2:]
    assert "Mine" in line["text"] and shared_bytes(desk, file) == PHOTO
    (upload,) = desk.slack.files.values()
    assert (upload.channel, upload.thread_ts) == (CHANNEL, second.slack_ts)


async def test_a_file_shared_by_an_attempt_cut_off_before_it_was_recorded_is_not_shared_again(
    desk: DeskHarness,
) -> None:
    """The worker shared the photo, then died before the outbox row said so: the row is
    pending again with the attempt's start kept. The next round finds the photo in the thread
    (conversations.replies on the local Slack server) and records it instead of sharing it
    twice."""
    await desk.unhappy_customer(3205, "C-205")
    (case,) = await desk.cases()
    ts = case.slack_ts or ""
    await relayed(desk, 3205, lambda: desk.tg.server.push_photo(3205, "Dented", PHOTO))
    (post,) = [m for m in await desk.outbox() if m.kind == "thread_file"]
    assert post.status == "sent" and post.started_at is not None
    async with desk.tg.bot.db.session() as s:  # the state a crash after the upload leaves
        await s.execute(
            update(OutboxMessage).where(OutboxMessage.id == post.id).values(status="pending")
        )
    assert (await desk.support.deliver()).sent == 1
    assert [shared_bytes(desk, m) for m in replies(desk, ts)].count(PHOTO) == 1
