"""``mentorbot demo --interactive``: a person plays one customer in the terminal."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from rich.console import Console

from sandbox.demo import DAYS, STEP, Demo, start_demo_bot, summary
from sandbox.demo_customers import Persona
from sandbox.local_servers.bot_api import LocalBotApi

HELP = (
    "Type a button's label (e.g. 8 or Yes) to tap it, anything else to write it, a command "
    "like /mydata or /stop, Enter to let time pass, or /quit."
)


async def run_interactive(
    out: Console, read: Callable[[str], str] = input, language: str = "en"
) -> dict:
    """Play one customer: the bot's messages are printed, your input goes to the bot."""
    me = Persona(9001, "You Customer", language, "Washing machine WM-300", 1)
    with tempfile.TemporaryDirectory() as tmp:
        async with LocalBotApi() as server:
            bot, clock = await start_demo_bot(server, Path(tmp))
            demo = Demo(server, bot, clock, out, [me])
            out.rule("Mentorbot demo: you are the customer")
            out.print(HELP)
            try:
                await demo.buy_and_opt_in(me)
                end = clock.now + timedelta(days=DAYS)
                while clock.now < end:
                    await bot.dispatch()
                    await demo.settle()
                    await demo.print_flags()
                    if not demo.expects_answer(me.chat_id):
                        clock.now += STEP
                        continue
                    line = (await asyncio.to_thread(read, "you> ")).strip()
                    if line == "/quit":
                        break
                    if not line:
                        clock.now += STEP
                        continue
                    await _act(demo, me, line)
                return await summary(bot, out)
            finally:
                await bot.stop_telegram()
                await bot.close()


async def _act(demo: Demo, me: Persona, line: str) -> None:
    messages = demo.server.messages(me.chat_id)
    markup = messages[-1].get("reply_markup", {}).get("inline_keyboard", []) if messages else []
    buttons = {b["text"].lower(): b["callback_data"] for row in markup for b in row}
    if line.lower() in buttons:
        demo.server.push_callback(me.chat_id, messages[-1]["message_id"], buttons[line.lower()])
    else:
        demo.server.push_message(me.chat_id, line, language_code=me.language)
    await demo.settle()
