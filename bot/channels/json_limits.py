"""Reading JSON from outside safely: a bounded body, a bounded depth, text a database takes.

``json.loads`` recurses once per level of nesting: a body of ten thousand ``[`` raises
RecursionError deep inside whatever reads it next. Bodies are checked for depth before they are
parsed, and strings are cleaned of what PostgreSQL refuses (NUL, lone surrogates).
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request

MAX_DEPTH = 32
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(rb"[^\[\]{}]")
_SURROGATES = re.compile("[\ud800-\udfff]")


class TooDeep(ValueError):
    """A JSON body nested deeper than the limit."""


def json_depth(body: bytes) -> int:
    """How deeply ``body``'s arrays and objects nest (strings are not counted)."""
    brackets = _NOT_BRACKETS.sub(b"", _STRINGS.sub(b"", body))
    depth = deepest = 0
    for byte in brackets:
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def loads_shallow(body: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` for bodies nested at most ``max_depth`` deep; TooDeep otherwise."""
    if json_depth(body) > max_depth:
        raise TooDeep(f"JSON nested deeper than {max_depth} levels")
    return json.loads(body)


def clean_text(text: str) -> str:
    """``text`` without what a database refuses: NUL characters go, lone surrogates (half of
    an emoji, forged) become U+FFFD."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a str holds a surrogate only when it is half of a pair
        text = _SURROGATES.sub("\ufffd", text)
    return text


def clean_json(value: Any) -> Any:
    """``value`` (parsed JSON, depth-checked) with every string, key or value, cleaned."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_json(v) for v in value]
    if isinstance(value, dict):
        return {clean_text(k): clean_json(v) for k, v in value.items()}
    return value


async def read_limited(request: Request, limit: int) -> bytes | None:
    """The request body, or None as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
