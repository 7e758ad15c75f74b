"""Which channel a chat id belongs to: Telegram's chat ids and WhatsApp numbers never collide.

The house passes a customer's chat as one integer (the desk's relay, the resolve note, the
advocacy asks). A WhatsApp chat is the customer's phone number (``wa_id``, digits only, at most
15 of them, never starting with 0), stored as ``WHATSAPP_BASE + int(wa_id)``. Telegram's ids
have at most 52 significant bits (Bot API docs), so every id at or above 2**62 is a WhatsApp
number and every other id is Telegram's: a chat id alone names its channel, and no message for
one channel can reach the other. The tables keep their ``channel`` column besides.
"""

from __future__ import annotations

WHATSAPP = "whatsapp"
TELEGRAM = "telegram"
CHANNEL_NAMES = {TELEGRAM: "Telegram", WHATSAPP: "WhatsApp"}
"""How a channel is named to people (support staff on a case card)."""
WHATSAPP_BASE = 1 << 62
_MAX_DIGITS = 15  # E.164


def whatsapp_chat(wa_id: str) -> int:
    """The chat id of a WhatsApp number (digits, as WhatsApp gives ``wa_id``); ValueError if it
    is not one."""
    digits = wa_id.strip().lstrip("+")
    if not digits.isdigit() or not 0 < len(digits) <= _MAX_DIGITS or digits[0] == "0":
        raise ValueError(f"not a WhatsApp number: {wa_id[:20]!r}")
    return WHATSAPP_BASE + int(digits)


def wa_id_of(chat_id: int) -> str:
    """The WhatsApp number of a chat id made by :func:`whatsapp_chat`."""
    if chat_id < WHATSAPP_BASE:
        raise ValueError(f"chat {chat_id} is not a WhatsApp chat")
    return str(chat_id - WHATSAPP_BASE)


def channel_of(chat_id: int) -> str:
    """The channel a chat id belongs to."""
    return WHATSAPP if chat_id >= WHATSAPP_BASE else TELEGRAM


def phone_digits(phone: str | None) -> str | None:
    """A purchase's phone number as WhatsApp writes it (digits with the country code), or None.

    Only numbers written with their country code (``+31 6 ...`` or ``0031 6 ...``) are taken:
    a national number (``06 ...``) could belong to any country, and guessing one would send a
    template to a stranger.
    """
    if not phone:
        return None
    raw = phone.strip()
    digits = "".join(c for c in raw if c.isdigit())
    if raw.startswith("+"):
        pass
    elif digits.startswith("00"):
        digits = digits[2:]
    else:
        return None
    return digits if 7 <= len(digits) <= _MAX_DIGITS and digits[0] != "0" else None
