"""WhatsApp's decisions, in milliseconds: chat ids, phone numbers, keywords, the window, the
list that fits NPS, who may link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from handlers.chat_address import (
    WHATSAPP_BASE,
    channel_of,
    phone_digits,
    wa_id_of,
    whatsapp_chat,
)
from handlers.messages import Button
from handlers.whatsapp.keywords import command_of
from handlers.whatsapp.linking import may_link
from handlers.whatsapp.messages import fit_choices
from handlers.whatsapp.window import tier_left, window_open
from storage.models import Customer

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_whatsapp_chats_never_meet_telegram_chats() -> None:
    chat = whatsapp_chat("31612345678")
    assert chat == WHATSAPP_BASE + 31612345678 and channel_of(chat) == "whatsapp"
    assert wa_id_of(chat) == "31612345678"
    # Telegram's largest ids (52 bits) and its negative group ids stay Telegram's
    assert channel_of(2**52) == "telegram" and channel_of(-1001234567890) == "telegram"
    assert channel_of(whatsapp_chat("1" + "9" * 14)) == "whatsapp"  # 15 digits, the most
    assert whatsapp_chat("999999999999999") < 2**63  # fits a BigInteger
    with pytest.raises(ValueError):
        wa_id_of(31612345678)


@pytest.mark.parametrize("bad", ["", "0612345678", "+", "31 6 12", "1234567890123456", "abc"])
def test_not_a_whatsapp_number(bad: str) -> None:
    with pytest.raises(ValueError):
        whatsapp_chat(bad)


@pytest.mark.parametrize(
    ("phone", "digits"),
    [
        ("+31 6 1234 5678", "31612345678"),
        ("0031612345678", "31612345678"),
        ("+32 470 12 34 56", "32470123456"),
        ("06 12345678", None),  # national: which country? never guessed
        ("+0 123", None),
        (None, None),
    ],
)
def test_phone_numbers_count_only_with_their_country_code(
    phone: str | None, digits: str | None
) -> None:
    assert phone_digits(phone) == digits


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("STOP", ("stop", ())),
        ("stoppen!", ("stop", ())),
        ("  Hulp ", ("help", ())),
        ("HELP", ("help", ())),
        ("mijn gegevens", ("mydata", ())),
        ("My data.", ("mydata", ())),
        ("Vergeet mij", ("forget", ())),
        ("forget me", ("forget", ())),
        ("Taal", ("language", ())),
        ("START abcDEF12345_-xyz", ("start", ("abcDEF12345_-xyz",))),
        ("the tap won't stop leaking", None),
        ("stop met die vragen, de machine lekt", None),
        ("start", None),
        ("8", None),
    ],
)
def test_keywords_are_whole_messages(text: str, command: tuple | None) -> None:
    assert command_of(text) == command


def test_the_window_is_24_hours_less_a_safety_margin() -> None:
    assert window_open(NOW - timedelta(hours=23), NOW)
    assert not window_open(NOW - timedelta(hours=23, minutes=55), NOW)
    assert not window_open(NOW - timedelta(days=2), NOW)
    assert not window_open(None, NOW)
    assert tier_left(999, 1000) == 1 and tier_left(1200, 1000) == 0


def test_nps_fits_a_list_of_ten_rows_with_0_and_1_together() -> None:
    nps = tuple(Button(str(v), f"a:7:0:{v}") for v in range(11))
    rows = fit_choices(nps)
    assert len(rows) == 10
    assert rows[0] == Button("0-1", "a:7:0:0")  # both detractors: same NPS, same follow-up
    assert [b.label for b in rows[1:]] == [str(v) for v in range(2, 11)]
    five = nps[:5]
    assert fit_choices(five) == five  # what fits is left alone


def test_an_order_with_a_phone_number_links_only_that_number() -> None:
    anne = Customer(id=1, name="Anne", phone="+31612345678")
    assert may_link(anne, "31612345678")
    assert not may_link(anne, "31687654321")
    no_phone = Customer(id=2, name="Bram", email="bram@example.com")
    assert may_link(no_phone, "31687654321")  # the one-time code is the secret then
