"""Which chat a customer linked on Telegram and WhatsApp is asked on: the one they used last
(issue 16), on the local Bot API, Graph API and Slack servers, on both databases."""

from __future__ import annotations

from tests.bot.whatsapp.test_journey import ANNE

TG_CHAT = 7101


async def test_a_customer_linked_on_both_is_asked_on_the_one_used_last(wa_desk) -> None:  # type: ignore[no-untyped-def]
    h = wa_desk[0]
    tg = wa_desk[1].tg
    code = await h.buy("WA-LAST", f"+{ANNE}", lang="en", name="Ann Smith")
    assert (await h.write(ANNE, f"START {code}")).text.startswith("Hi Ann")
    h.later(minutes=1)
    greeting = await tg.send(TG_CHAT, f"/start {code}")  # the same code, on Telegram: used last
    assert greeting["text"].startswith("Hi Ann")
    await h.settle()
    h.later(days=1, hours=2)
    since_tg, since_wa = tg.server.last_seq, h.server.last_seq
    assert (await h.bot.dispatch()).sent == 1
    question = await tg.next_message(TG_CHAT, since_tg)
    assert "How satisfied are you with the delivery" in question["text"]
    assert h.server.sent_to(ANNE, since_wa) == []  # nothing on WhatsApp
    # a day later she writes on WhatsApp: from now on that is the chat she used last
    h.later(days=1)
    h.server.customer_text(ANNE, "Hello from WhatsApp, just saying hi")  # needs nobody
    await h.settle()
    h.later(days=13)  # the usage check-in is due; the WhatsApp window has closed again
    since_tg, since_wa = tg.server.last_seq, h.server.last_seq
    await h.bot.dispatch()
    opener = await h.next_sent(ANNE, since_wa)
    assert opener.kind == "template" and opener.template == "mentorbot_usage/en"
    assert tg.server.last_seq == since_tg  # nothing more on Telegram
