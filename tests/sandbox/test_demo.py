"""The demo runs the real bot end to end against the shipped local Bot API server."""

from __future__ import annotations

import io
import re

from rich.console import Console

from sandbox.demo import run_demo
from sandbox.demo_interactive import run_interactive


def console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=200, color_system=None), buffer


async def test_scripted_demo_tells_the_whole_story() -> None:
    out, buffer = console()
    result = await run_demo(out)
    text = buffer.getvalue()
    # Two recovery check-ins follow the two resolved cases; Joost came back as a promoter.
    assert result["checkins"] == {"answered": 10, "cancelled": 2}
    assert result["nps_n"] == 6 and result["nps"] == 83
    assert result["flagged_for_support"] >= 3
    assert result["cases"] == {"resolved": 2} and result["recovered"] == 1
    assert "Hoi Joost! Bedankt voor je bestelling van Wasdroger DR-9" in text
    assert "Sanne Jansen → (does not answer)" in text and "Een vriendelijke herinnering" in text
    assert "Tom Baker → /stop" in text and "won't get any more check-ins" in text
    assert "⚑ flagged for support" in text and 'damage: "kapot"' in text
    assert "#support new card:" in text and "Case #1" in text and "Joost de Vries · Dutch" in text
    assert "Anna (support) → presses Claim" in text and "— Anna, klantenservice" in text
    assert "Recovery check-in (recovery_nps): NPS 9" in text
    # Joost's NPS 2 opened the case: he heard a colleague will follow up, not the cheerful close.
    joost = [line for line in text.splitlines() if "bot → Joost de Vries:" in line]
    ack = next(i for i, line in enumerate(joost) if "contact met je opneemt" in line)
    assert "Ik heb het doorgegeven aan een collega, die" in joost[ack]
    assert "Dank je wel, dat was het" not in joost[ack - 1] + joost[ack]
    # Resolving sent him the note with a voucher code from the pool, signed by Anna.
    note = text.index("bot → Joost de Vries: Hoi Joost, bedankt voor je geduld.")
    assert "tegoedbon van €25 voor je volgende bestelling: SORRY25-JDV7" in text[note : note + 400]
    assert "— Anna, klantenservice" in text[note : note + 400]
    assert text.count("SORRY25-JDV7") == 2  # the case thread and Joost's chat, once each
    # Priya's voucher was generated from the pattern.
    assert re.search(r"bot → Priya Patel: .*\n\nYour cleaning voucher .*: CLEAN-\w{4}-\w{4}", text)


async def test_interactive_demo_plays_one_customer() -> None:
    out, buffer = console()
    lines = iter(["2", "The box was crushed", "No", "", "10", "Love it", "7", "/quit"])
    result = await run_interactive(out, read=lambda _prompt: next(lines))
    assert result["checkins"] == {"answered": 2}
    assert result["nps_n"] == 1 and result["nps"] == 100
    assert "Sorry to hear that. What went wrong?" in buffer.getvalue()
