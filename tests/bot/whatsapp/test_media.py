"""What WhatsApp customers send besides words, on the local Graph API server: a caption is
read as their words, media without words is answered (the file is not fetched), and a
reaction to one of the bot's messages gets no answer at all."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Answer
from tests.bot.whatsapp.test_journey import ANNE, opt_in
from tests.bot.whatsapp.wa_harness import WhatsAppHarness

CAPTION = "Zo staat hij nu in de keuken"


async def test_captions_are_words_media_alone_is_answered_reactions_are_not(wa_desk) -> None:  # type: ignore[no-untyped-def]
    h: WhatsAppHarness
    h, _desk = wa_desk
    await opt_in(h, ANNE, "WA-M1")
    since = h.server.last_seq
    h.server.customer_media(ANNE, "image", caption=CAPTION)
    thanks = await h.server.wait_for_sent(ANNE, since)
    assert "doorgegeven" in thanks.text
    async with h.bot.db.session() as s:
        (kept,) = (await s.execute(select(Answer).where(Answer.text == CAPTION))).scalars().all()
    assert kept.channel == "whatsapp"
    for kind in ("image", "audio", "sticker"):
        h.later(minutes=3)  # files sent together are answered once (test_checkins' album)
        since = h.server.last_seq
        h.server.customer_media(ANNE, kind)
        unread = await h.server.wait_for_sent(ANNE, since)
        assert unread.text.startswith("Bedankt! Ik kan alleen geschreven woorden lezen")
    since = h.server.last_seq
    h.server.customer_reaction(ANNE, unread, "👍")
    h.server.customer_text(ANNE, "Nog een vraag over de levering")
    after = await h.server.wait_for_sent(ANNE, since)  # the chat's updates go in order
    assert "doorgegeven" in after.text  # the answer to the words, not to the reaction
    assert [s.text for s in h.server.sent_to(ANNE) if s.seq > since] == [after.text]
    since = h.server.last_seq  # several photos picked at once, a minute after the sticker
    h.later(minutes=1)
    for _ in range(3):
        h.server.customer_media(ANNE, "image")
    h.server.customer_text(ANNE, "En nog iets")
    after = await h.server.wait_for_sent(ANNE, since)
    assert [s.text for s in h.server.sent_to(ANNE) if s.seq > since] == [after.text]
