"""The support desk in ``mentorbot demo``: a local Slack, simulated staff, and what they see.

Staff act through signed requests to the bot's own ``/slack/events`` endpoint (the real Bolt
app), exactly as Slack would send them; the local Slack server records what the bot posts.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from rich.console import Console
from sqlalchemy import select

from sandbox.local_servers.slack_api import LocalSlackApi
from sandbox.local_servers.slack_signing import (
    block_actions,
    event_callback,
    message_event,
    post_signed,
    view_submission,
)
from storage.models import Case

TOKEN = "xoxb-demo-token"
SECRET = "demo-signing-secret"
SUPPORT = "C0SUPPORT"
STAFF = {"U0ANNA": "Anna", "U0BOB": "Bob"}


@dataclass
class StaffPlan:
    """What a staff member does with a case, one step per demo tick."""

    staff: str
    reply: str
    note: str
    gesture: str
    personal: str
    """Added to the prefilled message to the customer in the Resolve form."""
    steps: list[str] = field(default_factory=lambda: ["claim", "reply", "resolve"])


# By case number: the washing-machine story for the first case, a mess for the second.
PLANS = [
    StaffPlan(
        "U0ANNA",
        "Wat vervelend, Joost! Morgen komt een monteur met een nieuwe deur, "
        "de kosten zijn voor ons.",
        "New door fitted by our engineer; delivery partner informed",
        "Voucher €25",
        "Nogmaals excuses voor de overlast, en veel wasplezier!",
    ),
    StaffPlan(
        "U0BOB",
        "So sorry about the mess, Priya. We have spoken to the engineer, "
        "and a cleaning voucher is on its way to you.",
        "Spoke to the installer; apology and voucher sent",
        "Cleaning voucher",
        "Thanks for bearing with us.",
        steps=["wait", "claim", "reply", "resolve"],  # nobody picks it up at first
    ),
]


# The demo shop's gestures: a pool of voucher codes, and codes made from a pattern.
DEMO_SUPPORT: dict[str, Any] = {
    "gestures": [
        {
            "name": "Voucher €25",
            "voucher": {"codes": ["SORRY25-JDV7", "SORRY25-K9QM", "SORRY25-T3WX"]},
            "text": {
                "en": "As a small apology, here is a €25 voucher for your next order: {code}",
                "nl": "Als klein excuus krijg je een tegoedbon van €25 voor je volgende "
                "bestelling: {code}",
            },
        },
        {
            "name": "Cleaning voucher",
            "voucher": {"pattern": "CLEAN-####-####"},
            "text": {
                "en": "Your cleaning voucher (one professional clean, on us): {code}",
                "nl": "Je schoonmaakbon (één professionele schoonmaak, van ons): {code}",
            },
        },
        "Handwritten card",
    ]
}


def slack_section(server: LocalSlackApi) -> dict[str, Any]:
    """The demo config's ``slack:`` section, pointed at the local server."""
    return {
        "bot_token": TOKEN,
        "signing_secret": SECRET,
        "support_channel": SUPPORT,
        "escalation_usergroup": "S0LEADS",
        "base_url": server.base_url,
    }


class DemoDesk:
    """Simulated support staff working the cases, and a printout of the support channel."""

    def __init__(
        self, server: LocalSlackApi, bot: Any, out: Console, stamp: Callable[[], str]
    ) -> None:
        self.server, self.bot, self.out, self.stamp = server, bot, out, stamp
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=bot.web_app()), base_url="http://mentorbot.local"
        )
        self.seen = 0
        self.progress: dict[int, int] = {}  # case id -> steps done

    async def close(self) -> None:
        """Close the HTTP client."""
        await self.http.aclose()

    async def tick(self) -> None:
        """One demo step for support: targets checked, outbox delivered, staff act, printed."""
        support = self.bot.support
        await support.check_response_times()
        await support.deliver()
        self.print_new()
        async with self.bot.db.session() as s:
            cases = (await s.execute(select(Case).order_by(Case.id))).scalars().all()
        for number, case in enumerate(cases):
            plan = PLANS[number] if number < len(PLANS) else None
            done = self.progress.get(case.id or 0, 0)
            if plan is None or done >= len(plan.steps) or not case.slack_ts:
                continue
            await self.act(plan, plan.steps[done], case)
            self.progress[case.id or 0] = done + 1
            await support.pump.drain()
            await support.deliver()
            self.print_new()

    async def act(self, plan: StaffPlan, step: str, case: Case) -> None:
        """One staff action as a signed request to the bot's Slack endpoint."""
        name = STAFF[plan.staff]
        case_id, ts = case.id or 0, case.slack_ts or ""
        if step == "wait":
            return
        if step == "claim":
            self.out.print(f"{self.stamp()} [magenta]{name} (support)[/magenta] → presses Claim")
            body = block_actions(
                action_id="case_claim",
                value=str(case_id),
                channel_id=SUPPORT,
                message_ts=ts,
                user_id=plan.staff,
                user_name=name.lower(),
            )
        elif step == "reply":
            self.out.print(
                f"{self.stamp()} [magenta]{name} (support)[/magenta] → replies in the thread: "
                f"{plan.reply}"
            )
            written = self.server.post_as_user(SUPPORT, plan.reply, plan.staff, thread_ts=ts)
            body = event_callback(
                message_event(
                    channel=SUPPORT,
                    text=plan.reply,
                    user=plan.staff,
                    ts=written["ts"],
                    thread_ts=ts,
                )
            )
        else:
            body = await self._resolve_form(plan, case_id, ts)
        response = await post_signed("/slack/events", body, secret=SECRET, client=self.http)
        response.raise_for_status()
        await self.settle()

    async def _resolve_form(self, plan: StaffPlan, case_id: int, ts: str) -> Any:
        """Press Resolve, add a personal line to the prefilled message, choose the gesture."""
        name = STAFF[plan.staff]
        press = block_actions(
            action_id="case_resolve",
            value=str(case_id),
            channel_id=SUPPORT,
            message_ts=ts,
            user_id=plan.staff,
            user_name=name.lower(),
        )
        response = await post_signed("/slack/events", press, secret=SECRET, client=self.http)
        response.raise_for_status()
        await self.settle()
        view = self.server.opened_views[-1]
        prefilled = next(
            (
                b["element"].get("initial_value", "")
                for b in view["blocks"]
                if b.get("block_id") == "message"
            ),
            "",
        )
        message = f"{prefilled} {plan.personal}".strip()
        self.out.print(
            f"{self.stamp()} [magenta]{name} (support)[/magenta] → resolves: {plan.note}; "
            f"gesture: {plan.gesture}"
        )
        gesture = {"type": "static_select", "selected_option": {"value": plan.gesture}}
        return view_submission(
            callback_id="case_form_resolve",
            private_metadata=str(case_id),
            values={
                "note": {"note": plan.note},
                "message": {"message": message},
                "gesture": {"gesture": gesture},
            },
            user_id=plan.staff,
        )

    async def settle(self) -> None:
        """Wait until Bolt has acted on what it acknowledged."""
        await asyncio.sleep(0.02)  # Bolt acknowledges first and acts right after
        for _ in range(500):
            if not self.bot.support.busy:
                break
            await asyncio.sleep(0.01)

    def print_new(self) -> None:
        """Print what the bot posted to Slack since the last look, as support sees it."""
        calls = self.server.calls[self.seen :]
        self.seen = len(self.server.calls)
        for call in calls:
            if not call.ok or call.method not in ("chat.postMessage", "chat.update"):
                continue
            params = call.params
            if call.method == "chat.update":
                header = _header(params.get("blocks"))
                self.out.print(f"{self.stamp()} [yellow]#support[/yellow] card updated: {header}")
            elif params.get("thread_ts"):
                self.out.print(
                    f"{self.stamp()} [yellow]#support[/yellow]   ↳ {_plain(params.get('text'))}",
                    highlight=False,
                )
            else:
                self.out.print(
                    f"{self.stamp()} [yellow]#support[/yellow] new card:\n"
                    + _card(params.get("blocks") or []),
                    highlight=False,
                )


def _plain(text: Any) -> str:
    text = str(text).replace("<!subteam^S0LEADS>", "@support-leads")
    return re.sub(r"<@(U0[A-Z]+)>", lambda m: "@" + STAFF.get(m.group(1), m.group(1)), text)


def _header(blocks: Any) -> str:
    for block in blocks or []:
        if block.get("type") == "header":
            return str(block["text"]["text"])
    return ""


def _card(blocks: list[dict[str, Any]]) -> str:
    lines = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"    ┌ {block['text']['text']}")
        elif kind == "section" and "fields" in block:
            for f in block["fields"]:
                label, _, value = f["text"].partition("\n")
                lines.append(f"    │ {label.strip('*')}: {_plain(value)}")
        elif kind == "section":
            lines.append("    │ " + _plain(block["text"]["text"]).replace("\n", "\n    │ "))
        elif kind == "actions":
            lines.append("    └ " + " ".join(f"[{e['text']['text']}]" for e in block["elements"]))
    return "\n".join(lines)
