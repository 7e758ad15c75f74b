"""Keywords instead of slash commands: WhatsApp has no commands, customers type words."""

from __future__ import annotations

import re

# Whole messages only (trimmed, any case, trailing punctuation ignored): "stop" inside a
# sentence ("the tap won't stop leaking") is an answer, not an opt-out.
KEYWORDS: dict[str, str] = {
    "stop": "stop",
    "stoppen": "stop",
    "unsubscribe": "stop",
    "afmelden": "stop",
    "help": "help",
    "hulp": "help",
    "my data": "mydata",
    "mydata": "mydata",
    "mijn gegevens": "mydata",
    "forget me": "forget",
    "forget": "forget",
    "vergeet mij": "forget",
    "vergeet me": "forget",
    "taal": "language",
    "language": "language",
}
_START = re.compile(r"^\s*start\s+([A-Za-z0-9_-]{8,64})\s*$", re.IGNORECASE)


def command_of(text: str) -> tuple[str, tuple[str, ...]] | None:
    """(command, args) when the whole message is a keyword or the click-to-chat code
    (``START <token>``); None for anything else (an answer, words)."""
    start = _START.match(text)
    if start:
        return "start", (start.group(1),)
    word = " ".join(text.strip().lower().rstrip(".!?").split())
    name = KEYWORDS.get(word)
    return (name, ()) if name else None
