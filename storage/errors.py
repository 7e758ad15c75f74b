"""Errors storage raises that callers decide on."""

from __future__ import annotations


class ConcurrentWrite(RuntimeError):
    """Another writer stored the same thing at the same moment; retry the whole operation."""
