"""``mentorbot demo --channel whatsapp`` runs offline and tells the whole journey."""

from __future__ import annotations

import io

from rich.console import Console

from sandbox.demo_whatsapp import run_whatsapp_demo


async def test_the_whatsapp_demo_tells_a_dutch_customers_journey() -> None:
    buffer = io.StringIO()
    figures = await run_whatsapp_demo(Console(file=buffer, width=200))
    text = buffer.getvalue()
    assert figures["cases"] == 1 and figures["recovered"] == 1
    assert figures["templates"] == 6 and figures["refused_by_meta"] == 0
    for seen in (
        "template mentorbot_delivery/nl",
        "Hoe waarschijnlijk",
        "[ 0-1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 ]",
        "Morgen komt een monteur",  # Slack to WhatsApp
        "💬 *Joost de Vries:* Top, dank je",  # WhatsApp to Slack
        "SORRY25-",
        "template mentorbot_recovery/nl",
        "Hebben we het opgelost?",
        "template mentorbot_advocacy/nl",  # the ambassador ask, days later, asks first
        "Bram taps Graag",
        "Bram, bedankt voor je mooie woorden",
    ):
        assert seen in text, seen
