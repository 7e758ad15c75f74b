"""Telegram's HTML ``parse_mode`` for the local Bot API server: plain text plus entities.

Telegram parses HTML server side and answers with the plain text and ``entities`` (offsets in
UTF-16 code units). Malformed markup, such as an unknown tag or an unclosed one, is a
``400 Bad Request: can't parse entities``; reproducing that catches unescaped user input early.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
}


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; the message is Telegram's description suffix."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


class _TelegramHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pos16 = 0
        self.stack: list[tuple[str, dict[str, Any], int]] = []
        self.entities: list[dict[str, Any]] = []

    def _entity_for(self, tag: str, attrs: dict[str, Any]) -> dict[str, Any] | None:
        if tag == "a":
            href = attrs.get("href")
            return {"type": "text_link", "url": href} if href else None
        if tag == "span":
            if attrs.get("class") != "tg-spoiler":
                raise EntityParseError('Unsupported start tag "span"')
            return {"type": "spoiler"}
        if tag == "tg-emoji":
            return {"type": "custom_emoji", "custom_emoji_id": attrs.get("emoji-id", "")}
        kind = _SIMPLE_TAGS.get(tag)
        if kind is None:
            raise EntityParseError(f'Unsupported start tag "{tag}"')
        if kind == "blockquote" and "expandable" in attrs:
            kind = "expandable_blockquote"
        return {"type": kind}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr_map = dict(attrs)
        self._entity_for(tag, attr_map)  # validates early
        self.stack.append((tag, attr_map, self.pos16))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{tag}"')
        _, attrs, start = self.stack.pop()
        entity = self._entity_for(tag, attrs)
        if tag == "code" and self.stack and self.stack[-1][0] == "pre":
            language = str(attrs.get("class") or "").removeprefix("language-")
            if language:
                entity = {"type": "pre", "language": language, "_inner": True}
        length = self.pos16 - start
        if entity is not None and length > 0:
            entity.update(offset=start, length=length)
            self.entities.append(entity)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.pos16 += utf16_len(data)


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into ``(plain_text, entities)``; raises :class:`EntityParseError`."""
    parser = _TelegramHtml()
    parser.feed(text)
    parser.close()
    if parser.stack:
        tag = parser.stack[-1][0]
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{tag}"')
    entities = parser.entities
    # <pre><code class="language-x"> collapses into one pre entity carrying the language
    inner = [e for e in entities if e.pop("_inner", False)]
    for code in inner:
        entities = [
            e
            for e in entities
            if not (e["type"] == "pre" and "language" not in e and e["offset"] == code["offset"])
        ]
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(parser.parts), entities
