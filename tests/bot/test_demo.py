"""The demo runs the real bot end to end against the shipped local Bot API server."""

from __future__ import annotations

import io

from rich.console import Console

from bot.demo import run_demo
from bot.demo_interactive import run_interactive


def console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=200, color_system=None), buffer


async def test_scripted_demo_tells_the_whole_story() -> None:
    out, buffer = console()
    result = await run_demo(out)
    text = buffer.getvalue()
    assert result["checkins"] == {"answered": 8, "cancelled": 2}
    assert result["nps_n"] == 4 and result["nps"] == 25
    assert result["flagged_for_support"] >= 3
    assert "Hoi Joost! Bedankt voor je bestelling van Wasdroger DR-9" in text
    assert "Sanne Jansen → (does not answer)" in text and "Een vriendelijke herinnering" in text
    assert "Tom Baker → /stop" in text and "won't get any more check-ins" in text
    assert "⚑ flagged for support" in text and 'damage: "kapot"' in text


async def test_interactive_demo_plays_one_customer() -> None:
    out, buffer = console()
    lines = iter(["2", "The box was crushed", "No", "", "10", "Love it", "7", "/quit"])
    result = await run_interactive(out, read=lambda _prompt: next(lines))
    assert result["checkins"] == {"answered": 2}
    assert result["nps_n"] == 1 and result["nps"] == 100
    assert "Sorry to hear that. What went wrong?" in buffer.getvalue()
