"""What the chaos test reads: the local Bot API server in its own process, the messages it
took, and where a paced send's time went (the workers' slot and wire lines beside the server's
arrival stamps)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.local_servers.bot_api_control import RemoteControl
from sandbox.local_servers.bot_api_types import Call

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class BotApiAddress:
    """Where the local Bot API server (in its own process) listens."""

    base_url: str
    base_file_url: str


@contextlib.asynccontextmanager
async def bot_api_process() -> AsyncIterator[tuple[BotApiAddress, RemoteControl]]:
    """The local Bot API server in its own process, keeping every call for the test and
    retrying webhook deliveries for long, as Telegram does."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sandbox.local_servers.bot_api", "--port", "0", "--quiet",
        "--control",
        "--calls-kept", "100000", "--webhook-attempts", "200", "--webhook-retry-delay", "0.1",
        stderr=asyncio.subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        line = (await asyncio.wait_for(proc.stderr.readline(), 30)).decode()
        match = re.search(r"Bot API on (\S+) \(files: (\S+)\)", line)
        assert match, line
        async with RemoteControl(match.group(1).removesuffix("/bot")) as control:
            yield BotApiAddress(match.group(1), match.group(2)), control
    finally:
        proc.terminate()
        await proc.wait()


async def sent_messages(
    control: RemoteControl, after: int = 0
) -> tuple[list[Call], dict[str, int]]:
    """The ``sendMessage`` calls the server took after seq ``after``, and the webhook's answers."""
    found, statuses = await control.calls_after(after, "sendMessage")
    calls = [
        Call(c["seq"], c["method"], c["params"], c["time"], c["status"], c["result"]) for c in found
    ]
    return calls, statuses


def busiest_second(times: list[float]) -> tuple[int, float]:
    """The most of ``times`` in any rolling second, and when that second began."""
    times = sorted(times)
    best, at = 0, 0.0
    for i, start in enumerate(times):
        n = sum(1 for t in times[i : i + 100] if t - start < 1.0)
        if n > best:
            best, at = n, start
    return best, at


def pacing_report(logs: str, calls: list[Any]) -> dict[str, Any]:
    """Where a send's time went, from the workers' slot lines (``MENTORBOT_CHAOS_SLOTS``) and
    the server's arrival stamps: the busiest rolling second of the booked slots, of the moments
    the workers let the sends go, and of the arrivals; and how long after leaving a send was
    stamped (sends matched per chat, in order)."""
    slots, left = [], []
    by_chat: dict[int, list[float]] = {}
    wire: dict[int, list[float]] = {}  # chat: when its sends left for the wire
    for line in logs.splitlines():
        if " request sendMessage chat " in line:  # REQUEST chat CHAT at WHEN
            fields = line.split(" request sendMessage chat ", 1)[1].split()
            if fields[0].lstrip("-").isdigit():
                wire.setdefault(int(fields[0]), []).append(float(fields[2]))
            continue
        parts = line.split(" slot ", 1)
        if len(parts) < 2:
            continue
        fields = parts[1].split()  # SLOT left LEFT late LATE chat CHAT
        slots.append(float(fields[0]))
        left.append(float(fields[2]))
        if fields[6] != "None":
            by_chat.setdefault(int(fields[6]), []).append(float(fields[2]))
    arrived = [c for c in calls if c.method == "sendMessage" and c.status == 200]
    stamped: dict[int, list[float]] = {}
    for c in arrived:
        stamped.setdefault(c.params.get("chat_id"), []).append(c.time)
    lags: dict[str, list[float]] = {"left_to_wire": [], "wire_to_arrival": []}
    for chat, departures in by_chat.items():
        stamps, onto_wire = sorted(stamped.get(chat, [])), sorted(wire.get(chat, []))
        if len(stamps) == len(departures) == len(onto_wire):  # no retries: pairs line up
            for d, w, s in zip(sorted(departures), onto_wire, stamps, strict=True):
                lags["left_to_wire"].append(w - d)
                lags["wire_to_arrival"].append(s - w)
    report: dict[str, Any] = {"sends_logged": len(slots), "arrivals": len(arrived)}
    if not slots or not arrived:
        return report
    first = min(c.time for c in arrived)
    for name, times in (("slots", slots), ("left", left), ("arrived", [c.time for c in arrived])):
        n, at = busiest_second(times)
        report[f"busiest_{name}"] = (n, round(at - first, 2))
    for name, values in lags.items():
        values.sort()
        if values:
            report[f"{name}_ms"] = {
                q: round(values[min(len(values) - 1, int(len(values) * q / 100))] * 1000, 1)
                for q in (50, 90, 99, 100)
            }
    return report
