"""The bare WhatsApp send loop: our client alone against the local Cloud API server.

The named baseline for ``benchmarks/dispatch.py --channel whatsapp``: how fast
:class:`~bot.channels.whatsapp_cloud.WhatsAppCloud` sends the check-in opener (a template with
two body parameters and two quick replies) when nothing else happens, so the dispatcher's rate
can be read against it in the same run. The server runs in its own process (the real one is on
another machine), with no status webhooks.

0. The HTTP client's choice: the same POST of the same template with httpx and with aiohttp
   (both dependencies), sequential and ``--concurrency`` in flight: rate and CPU ms per send.
1. Limits off: a sequential loop, and ``--concurrency`` sends in flight.
2. Limits on (the number's throughput, 80/s by default): the same concurrent loop unpaced
   (counts the 130429 refusals it provokes), then paced to one below the limit per rolling
   ``--pace-window`` seconds (1.2 by default: the server counts arrivals, which jitter);
   the server's count of the most messages accepted in any rolling second and of its throttle
   refusals is printed beside each.

    python benchmarks/whatsapp_send.py [--count 2000] [--concurrency 16] [--throughput 80]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
import httpx

from bot.channels.whatsapp_cloud import WhatsAppApiError, WhatsAppCloud, template_payload
from sandbox.local_servers.whatsapp_api_control import WhatsAppControl

TOKEN, PHONE_NUMBER_ID = "BENCH-TOKEN", "100000000000009"
TEMPLATE = ("delivery_checkin", "nl", "Hoi {{1}}, hoe is je {{2}} aangekomen?", ("Goed", "Slecht"))
CUSTOMER_BASE = 31_600_000_000


@contextmanager
def server_process(throughput: int, limits: bool) -> Iterator[str]:
    """The local WhatsApp server in its own process; yields its root URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    args = [sys.executable, "-m", "sandbox.local_servers.whatsapp_api", "--port", str(port),
            "--token", TOKEN, "--phone-number-id", PHONE_NUMBER_ID, "--no-statuses",
            "--throughput", str(throughput), "--daily-tier", str(10**9),
            *([] if limits else ["--no-limits"])]  # fmt: skip
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(5)


class RollingSecond:
    """At most ``limit`` sends started in any rolling ``window`` seconds (the bare loop's only
    pacing). The server counts arrivals, not starts: a send delayed on the way can land in the
    same server second as a later one, so a window a little over one second leaves room for
    that jitter."""

    def __init__(self, limit: int, window: float = 1.0) -> None:
        self.limit, self.window = limit, window
        self.starts: collections.deque[float] = collections.deque()

    async def wait(self) -> None:
        while True:
            now = time.monotonic()
            while self.starts and self.starts[0] <= now - self.window:
                self.starts.popleft()
            if len(self.starts) < self.limit:
                self.starts.append(now)
                return
            await asyncio.sleep(self.starts[0] + self.window - now + 0.002)


async def bare_send_loop(
    base_url: str,
    count: int,
    concurrency: int = 1,
    pace: int | None = None,
    first_customer: int = CUSTOMER_BASE,
    pace_window: float = 1.0,
    token: str = TOKEN,
    phone_number_id: str = PHONE_NUMBER_ID,
) -> dict[str, float | int]:
    """Send the check-in template to ``count`` customers, ``concurrency`` in flight, paced to
    ``pace`` sends per rolling ``pace_window`` seconds if given: rate, CPU ms per send (this
    process), refusals and throttle errors. The server must know the template (``TEMPLATE``)
    and accept ``token`` for ``phone_number_id``; dispatch.py can call this as its baseline."""
    pacer = RollingSecond(pace, pace_window) if pace else None
    numbers = iter(range(first_customer, first_customer + count))
    throttled = failed = 0
    name, language = TEMPLATE[0], TEMPLATE[1]

    async def worker(cloud: WhatsAppCloud) -> None:
        nonlocal throttled, failed
        for number in numbers:
            if pacer is not None:
                await pacer.wait()
            payload = template_payload(str(number), name, language, ["Anna", "wasmachine"])
            try:
                await cloud.send(payload)
            except WhatsAppApiError as error:
                throttled += error.throttled
                failed += 1

    async with WhatsAppCloud(
        token=token, phone_number_id=phone_number_id, base_url=base_url
    ) as cloud:
        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker(cloud) for _ in range(concurrency)))
        wall = time.perf_counter() - start
        cpu_ms = (time.process_time() - cpu) * 1000 / count
    return {
        "sends": count,
        "concurrency": concurrency,
        "accepted_per_s": round((count - failed) / wall, 1),
        "client_cpu_ms_per_send": round(cpu_ms, 3),
        "refused": failed,
        "throttled": throttled,
    }


async def raw_post_loop(
    library: str, base_url: str, count: int, concurrency: int, first_customer: int
) -> dict[str, float | int]:
    """The bare POST with ``library`` (httpx or aiohttp): sends per second, CPU ms per send."""
    url = f"{base_url}/v21.0/{PHONE_NUMBER_ID}/messages"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    numbers = iter(range(first_customer, first_customer + count))
    bodies = (
        {"messaging_product": "whatsapp",
         **template_payload(str(n), TEMPLATE[0], TEMPLATE[1], ["Anna", "wasmachine"])}
        for n in numbers
    )  # fmt: skip
    async with (
        httpx.AsyncClient(headers=headers) as hx,
        aiohttp.ClientSession(headers=headers) as ah,
    ):

        async def worker() -> None:
            for body in bodies:
                if library == "httpx":
                    (await hx.post(url, json=body)).raise_for_status()
                else:
                    async with ah.post(url, json=body) as answer:
                        answer.raise_for_status()
                        await answer.read()

        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall, cpu_ms = time.perf_counter() - start, (time.process_time() - cpu) * 1000 / count
    return {"per_s": round(count / wall, 1), "cpu_ms_per_send": round(cpu_ms, 3)}


async def run(
    count: int, concurrency: int, throughput: int, pace_window: float
) -> dict[str, object]:
    results: dict[str, object] = {}
    with server_process(throughput, limits=False) as root:
        async with WhatsAppControl(root) as control:
            await control.add_template(*TEMPLATE)
        first = CUSTOMER_BASE + 10 * count
        for library in ("httpx", "aiohttp"):
            for in_flight in (1, concurrency):
                figures = await raw_post_loop(library, root, count, in_flight, first)
                results[f"raw_post_{library}_{in_flight}_in_flight"] = figures
                first += count
        results["limits_off_sequential"] = await bare_send_loop(root, count)
        results["limits_off_concurrent"] = await bare_send_loop(
            root, count, concurrency, first_customer=CUSTOMER_BASE + count
        )
    limited = min(count, throughput * 5)  # five seconds' worth at the limit
    for label, pace in (("limits_on_unpaced", None), ("limits_on_paced", throughput - 1)):
        with server_process(throughput, limits=True) as root:
            async with WhatsAppControl(root) as control:
                await control.add_template(*TEMPLATE)
                figures = await bare_send_loop(
                    root, limited, concurrency, pace=pace, pace_window=pace_window
                )
                stats = await control.stats()
                figures["server_max_in_rolling_second"] = stats["max_in_rolling_second"]
                figures["server_throttled"] = stats["throttled"]
                results[label] = figures
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--throughput", type=int, default=80)
    parser.add_argument("--pace-window", type=float, default=1.2, help="seconds (jitter room)")
    args = parser.parse_args()
    results = asyncio.run(run(args.count, args.concurrency, args.throughput, args.pace_window))
    results["throughput_limit"] = args.throughput
    results["pace"] = f"{args.throughput - 1} sends per rolling {args.pace_window} s"
    results["load_average_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
