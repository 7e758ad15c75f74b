"""``mentorbot demo``: the real bot against the local Bot API server, on a compressed clock.

Simulated customers buy, opt in through their deep link, get their check-ins and answer (happy
and unhappy, English and Dutch); a transcript and a summary are printed. No tokens, no network.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import func, select

from bot.advocacy_wiring import run_advocacy
from bot.app import Mentorbot
from bot.config import Config
from sandbox.demo_advocacy import DEMO_ADVOCACY, run_advocacy_story
from sandbox.demo_customers import PERSONAS, Persona
from sandbox.demo_support import DEMO_SUPPORT, TOKEN, DemoDesk, slack_section
from sandbox.local_servers.bot_api import LocalBotApi
from sandbox.local_servers.slack_api import LocalSlackApi
from storage.models import Answer, Case, CheckIn, Customer, Event

STEP = timedelta(hours=6)
DAYS = 18


@dataclass
class DemoClock:
    """Simulated time: starts this morning and moves in steps."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


class Demo:
    """Runs the personas against a running bot and prints what happens."""

    def __init__(
        self,
        server: LocalBotApi,
        bot: Mentorbot,
        clock: DemoClock,
        out: Console,
        personas: list[Persona],
    ) -> None:
        self.server, self.bot, self.clock, self.out = server, bot, clock, out
        self.personas = {p.chat_id: p for p in personas}
        self.seen = 0  # last server call already printed
        self.seen_event = 0
        self.ignored_at: dict[int, int] = {}  # chat -> message id left unanswered
        self.desk: DemoDesk | None = None  # simulated support staff, when Slack is on

    def stamp(self) -> str:
        local = self.clock.now.astimezone()
        return f"[dim]{local:%a %d %b %H:%M}[/dim]"

    async def run(self) -> None:
        """The whole story: purchases, opt-ins, then the clock runs for ``DAYS`` days."""
        for p in self.personas.values():
            await self.buy_and_opt_in(p)
        end = self.clock.now + timedelta(days=DAYS)
        while self.clock.now < end:
            await self.bot.dispatch()
            await run_advocacy(self.bot)
            await self.react()
            if self.desk is not None:
                await self.desk.tick()
                await self.settle()
            self.clock.now += STEP

    async def buy_and_opt_in(self, p: Persona) -> None:
        delivered = self.clock.now - timedelta(days=p.delivered_days_ago)
        (result,) = await self.bot.ingest(
            [
                {
                    "order_id": f"DEMO-{p.chat_id}",
                    "product": p.product,
                    "purchased_at": (delivered - timedelta(days=2)).isoformat(),
                    "delivered_at": delivered.isoformat(),
                    "customer": {
                        "name": p.name,
                        "email": f"{p.chat_id}@example.com",
                        "language": p.language,
                    },
                }
            ]
        )
        self.out.print(
            f"{self.stamp()} [bold]shop[/bold] → purchase {result['order_id']} "
            f"({p.product}) for {p.name}; opt-in link {result['opt_in_link']}"
        )
        token = result["opt_in_link"].split("start=")[1]
        await self.customer_says(p, f"/start {token}", shown="taps the link in the order mail")
        await self.settle()

    async def customer_says(self, p: Persona, text: str, shown: str | None = None) -> None:
        self.out.print(f"{self.stamp()} [cyan]{p.name}[/cyan] → {shown or text}")
        self.server.push_message(
            p.chat_id, text, first_name=p.name.split()[0], language_code=p.language
        )

    async def button(self, chat_id: int, label: str) -> tuple[dict[str, Any], str]:
        """The newest message in the chat with a button ``label``, and that button's data.

        A busy machine can keep the bot silent longer than :meth:`settle` waits (scoring runs
        off the event loop), so the question may still be on its way: look again for a while.
        """
        for _ in range(200):
            for message in reversed(self.server.messages(chat_id)):
                rows = message.get("reply_markup", {}).get("inline_keyboard")
                if not rows:
                    continue
                for row in rows:
                    for b in row:
                        if b["text"] == label:
                            return message, b["callback_data"]
                break  # only the newest message with buttons counts
            await self.settle()
        raise RuntimeError(f"no button {label!r} in chat {chat_id}")

    async def settle(self) -> None:
        """Wait until the bot is quiet, then print its messages."""
        last, quiet = -1, 0
        while quiet < 3:  # quiet for 3 looks in a row: a busy machine can pause between calls
            quiet = quiet + 1 if last == self.server.last_seq else 0
            last = self.server.last_seq
            await asyncio.sleep(0.03)
        self.print_bot_messages()

    def print_bot_messages(self) -> list[dict[str, Any]]:
        new = [
            c
            for c in self.server.calls
            if c.seq > self.seen
            and c.status == 200
            and c.method.lower() in ("sendmessage", "senddocument")
        ]
        self.seen = self.server.last_seq
        for call in new:
            who = self.personas.get(call.chat_id or 0)
            text = call.result.get("text", "")
            markup = call.result.get("reply_markup", {}).get("inline_keyboard", [])
            buttons = " ".join(f"[{b['text']}]" for row in markup for b in row)
            self.out.print(
                f"{self.stamp()} [green]bot[/green] → {who.name if who else call.chat_id}: "
                f"{text}" + (f"\n    {buttons}" if buttons else ""),
                highlight=False,
            )
        return new

    async def print_flags(self) -> None:
        """Answers the scoring flagged for support since the last look."""
        async with self.bot.db.session() as s:
            events = (
                (
                    await s.execute(
                        select(Event)
                        .where(Event.kind == "answer.escalate", Event.id > self.seen_event)
                        .order_by(Event.id)
                    )
                )
                .scalars()
                .all()
            )
        for e in events:
            self.seen_event = e.id or self.seen_event
            reasons = "; ".join(e.data.get("reasons", [])[:3])
            self.out.print(
                f"    [red]⚑ flagged for support[/red] ({e.data.get('priority')}): {reasons}",
                highlight=False,
            )

    def expects_answer(self, chat_id: int) -> bool:
        messages = self.server.messages(chat_id)
        if not messages:
            return False
        last = messages[-1]
        if self.ignored_at.get(chat_id) == last.get("message_id"):
            return False
        has_buttons = bool(last.get("reply_markup", {}).get("inline_keyboard"))
        return has_buttons or last.get("text", "").rstrip().endswith("?")

    async def react(self) -> None:
        """Every customer with an open question gives their next scripted answer."""
        self.print_bot_messages()
        progress = True
        while progress:
            progress = False
            for p in self.personas.values():
                if not p.answers or not self.expects_answer(p.chat_id):
                    continue
                kind, value = p.answers.pop(0)
                progress = True
                if kind == "ignore":
                    self.out.print(f"{self.stamp()} [cyan]{p.name}[/cyan] → (does not answer)")
                    self.ignored_at[p.chat_id] = self.server.messages(p.chat_id)[-1]["message_id"]
                    continue
                if kind == "tap":
                    message, data = await self.button(p.chat_id, value)
                    self.out.print(f"{self.stamp()} [cyan]{p.name}[/cyan] → taps [{value}]")
                    self.server.push_callback(p.chat_id, message["message_id"], data)
                else:
                    await self.customer_says(p, value)
                await self.settle()
                await self.print_flags()
            if progress:
                await asyncio.sleep(0)


async def summary(bot: Mentorbot, out: Console) -> dict[str, Any]:
    """Counts from the database: check-ins by status, answers, segments, escalations."""
    async with bot.db.session() as s:
        statuses = dict(
            (await s.execute(select(CheckIn.status, func.count()).group_by(CheckIn.status))).all()
        )
        answers = (await s.execute(select(func.count()).select_from(Answer))).scalar_one()
        nps = (
            (
                await s.execute(
                    select(Answer.score).where(
                        Answer.question_type == "nps", Answer.score.is_not(None)
                    )
                )
            )
            .scalars()
            .all()
        )
        segments = dict(
            (
                await s.execute(select(Customer.segment, func.count()).group_by(Customer.segment))
            ).all()
        )
        flagged = (
            await s.execute(
                select(func.count()).select_from(Event).where(Event.kind == "answer.escalate")
            )
        ).scalar_one()
        cases = dict(
            (await s.execute(select(Case.status, func.count()).group_by(Case.status))).all()
        )
        recovered = (
            await s.execute(select(func.count()).select_from(Case).where(Case.recovered.is_(True)))
        ).scalar_one()
    promoters = sum(1 for v in nps if v >= 9)
    detractors = sum(1 for v in nps if v <= 6)
    score = round(100 * (promoters - detractors) / len(nps)) if nps else None
    result = {
        "checkins": statuses,
        "answers": answers,
        "nps": score,
        "nps_n": len(nps),
        "segments": {k or "none": v for k, v in segments.items()},
        "flagged_for_support": flagged,
        "cases": cases,
        "recovered": recovered,
    }
    out.rule("summary")
    out.print(f"check-ins: {', '.join(f'{v} {k}' for k, v in sorted(statuses.items()))}")
    out.print(
        f"answers stored: {answers}; NPS {score} (n={len(nps)}: {promoters} promoters, "
        f"{detractors} detractors)"
    )
    out.print(f"segments: {result['segments']}")
    out.print(
        f"answers flagged for support: {flagged}; cases: "
        f"{', '.join(f'{v} {k}' for k, v in sorted(cases.items())) or 'none'}; "
        f"detractors recovered: {recovered}"
    )
    return result


async def start_demo_bot(
    server: LocalBotApi, directory: Path, slack: LocalSlackApi | None = None
) -> tuple[Mentorbot, DemoClock]:
    """A bot on a fresh SQLite file in ``directory``, polling the local server, on a demo clock;
    with ``slack``, the support desk posts to that local Slack server."""
    start = datetime.now(UTC).astimezone().replace(hour=10, minute=0, second=0, microsecond=0)
    clock = DemoClock(start.astimezone(UTC))
    config = Config.model_validate(
        {
            "data_dir": str(directory),
            "database": {"url": f"sqlite:///{directory / 'demo.db'}"},
            "telegram": {
                "token": "1:DEMO",
                "base_url": server.base_url,
                "base_file_url": server.base_file_url,
                "rate_limit": False,
            },
            "slack": slack_section(slack) if slack is not None else {},
            "advocacy": DEMO_ADVOCACY,
            "support": DEMO_SUPPORT,
        }
    )
    bot = Mentorbot(config, clock=clock)
    await bot.migrate()
    bot.build_telegram()
    await bot.start_telegram(poll_interval=0)
    return bot, clock


async def run_demo(out: Console, personas: list[Persona] | None = None) -> dict[str, Any]:
    """Run the scripted demo; returns the summary figures."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        async with LocalBotApi() as server, LocalSlackApi(TOKEN) as slack:
            bot, clock = await start_demo_bot(server, Path(tmp), slack)
            out.rule(
                "Mentorbot demo: a local Telegram and Slack, simulated customers and support "
                f"staff, {DAYS} days in a few seconds"
            )
            cast = [
                Persona(**{**vars(p), "answers": list(p.answers)}) for p in personas or PERSONAS
            ]
            demo = Demo(server, bot, clock, out, cast)
            demo.desk = DemoDesk(slack, bot, out, demo.stamp)
            try:
                await demo.run()
                result = await summary(bot, out)
                out.rule("advocacy: one ambassador, from check-in to a referred purchase")
                await run_advocacy_story(server, bot, clock, out)
                return result
            finally:
                await demo.desk.close()
                await bot.stop_telegram()
                await bot.close()
