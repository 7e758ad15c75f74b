"""Purchase intake throughput: HTTP API (batches of 100) and CSV import, on SQLite and PostgreSQL.

Baseline, in the same run: plain SQLAlchemy Core bulk inserts of the same rows (customers,
purchases, opt-in links and check-ins) with no lookups or validation. Prints JSON.

    python benchmarks/intake.py [--api-rows 20000] [--csv-rows 100000]
                                [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import socket
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import create_engine, insert

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import fresh_database, pg_available, rss_mb
from bot.app import Mentorbot
from bot.config import Config
from handlers.intake.csv_import import import_purchases, read_rows
from storage.db import configure_engine, engine_options, sync_url
from storage.models import ChannelLink, CheckIn, Customer, Purchase

KEY = "benchmark-api-key-0123456789"
BASE = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def purchase(i: int) -> dict:
    """The i-th synthetic purchase (a new customer every time)."""
    return {
        "order_id": f"ORD-{i:07d}",
        "product": f"Product {i % 20}",
        "sku": f"SKU{i % 20}",
        "amount": f"{10 + i % 500}.95",
        "currency": "EUR",
        "purchased_at": (BASE + timedelta(minutes=i)).isoformat(),
        "delivered_at": (BASE + timedelta(days=2, minutes=i)).isoformat(),
        "customer": {
            "name": f"Customer {i}",
            "email": f"c{i}@example.com",
            "language": "nl" if i % 2 else "en",
        },
    }


def write_csv(path: Path, rows: int) -> None:
    """A CSV of ``rows`` purchases in the import format."""
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "order_id",
                "name",
                "email",
                "language",
                "product",
                "sku",
                "amount",
                "currency",
                "purchased_at",
                "delivered_at",
            ]
        )
        for i in range(rows):
            p = purchase(i)
            w.writerow(
                [
                    p["order_id"],
                    p["customer"]["name"],
                    p["customer"]["email"],
                    p["customer"]["language"],
                    p["product"],
                    p["sku"],
                    p["amount"],
                    p["currency"],
                    p["purchased_at"],
                    p["delivered_at"],
                ]
            )


def baseline(url: str, schema: str | None, rows: int, batch: int = 1000) -> float:
    """Rows per second for plain Core bulk inserts of the same data (no lookups)."""
    target = sync_url(url)
    engine = create_engine(target, **engine_options(target, schema))
    configure_engine(engine, target)
    start = time.perf_counter()
    with engine.begin() as conn:
        for lo in range(0, rows, batch):
            ps = [purchase(i) for i in range(lo, min(rows, lo + batch))]
            by_email = dict(
                conn.execute(
                    insert(Customer).returning(Customer.email, Customer.id),
                    [
                        {
                            "name": p["customer"]["name"],
                            "email": p["customer"]["email"],
                            "language": p["customer"]["language"],
                        }
                        for p in ps
                    ],
                ).all()
            )
            ids = [by_email[p["customer"]["email"]] for p in ps]
            conn.execute(
                insert(ChannelLink),
                [
                    {"customer_id": c, "token": f"tok{c}-{lo}", "token_expires_at": BASE}
                    for c in ids
                ],
            )
            by_order = dict(
                conn.execute(
                    insert(Purchase).returning(Purchase.external_order_id, Purchase.id),
                    [
                        {
                            "external_order_id": p["order_id"],
                            "customer_id": c,
                            "product": p["product"],
                            "sku": p["sku"],
                            "purchased_at": BASE,
                            "delivered_at": BASE,
                            "journey": "standard",
                        }
                        for p, c in zip(ps, ids, strict=True)
                    ],
                ).all()
            )
            pids = [by_order[p["order_id"]] for p in ps]
            conn.execute(
                insert(CheckIn),
                [
                    {
                        "customer_id": c,
                        "purchase_id": pid,
                        "journey": "standard",
                        "touchpoint": t,
                        "due_at": BASE,
                    }
                    for c, pid in zip(ids, pids, strict=True)
                    for t in ("delivery", "usage")
                ],
            )
    elapsed = time.perf_counter() - start
    engine.dispose()
    return rows / elapsed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def api_rate(url: str, schema: str | None, rows: int, concurrency: int = 4) -> float:
    """Purchases per second through POST /api/purchases over real HTTP, batches of 100."""
    config = Config.model_validate({"database": {"url": url}, "api": {"keys": [KEY]}})
    bot = Mentorbot(config, db_schema=schema)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            bot.web_app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event for this)
        await asyncio.sleep(0.01)
    batches = [[purchase(i) for i in range(lo, min(rows, lo + 100))] for lo in range(0, rows, 100)]
    queue = list(reversed(batches))
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {KEY}"}, timeout=60
    ) as c:

        async def worker() -> None:
            while queue:
                r = await c.post("/api/purchases", json=queue.pop())
                if r.status_code != 201:
                    raise RuntimeError(f"{r.status_code}: {r.text[:200]}")

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    server.should_exit = True
    await task
    await bot.close()
    return rows / elapsed


async def csv_rate(url: str, schema: str | None, path: Path, rows: int) -> dict:
    """Rows per second through the CSV import, with RSS samples along the way."""
    config = Config.model_validate({"database": {"url": url}})
    bot = Mentorbot(config, db_schema=schema)
    samples: list[float] = []
    done = 0

    def progress(n: int) -> None:
        nonlocal done
        done += n
        if done % (rows // 10) < n:
            samples.append(round(rss_mb(), 1))

    start = time.perf_counter()
    summary = await import_purchases(
        bot.repos, bot.units, bot.intake, read_rows(path), BASE, on_progress=progress
    )
    elapsed = time.perf_counter() - start
    await bot.close()
    assert summary.created == rows, summary
    return {
        "rows_per_s": round(rows / elapsed),
        "rss_mb_every_10pct": samples,
        "rss_growth_mb_after_first_10pct": round(samples[-1] - samples[0], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--api-rows", type=int, default=20_000)
    parser.add_argument("--csv-rows", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    backends = args.backends.split(",")
    if "postgresql" in backends and not pg_available():
        print("PostgreSQL not reachable; measuring SQLite only", file=sys.stderr)
        backends = [b for b in backends if b != "postgresql"]
    report: dict = {
        "benchmark": "intake",
        "api_rows": args.api_rows,
        "csv_rows": args.csv_rows,
        "goals": {"api_vs_baseline": 0.3, "csv_vs_baseline": 0.5},
        "results": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "purchases.csv"
        write_csv(csv_path, args.csv_rows)
        for backend in backends:
            with fresh_database(backend) as (url, schema):
                base = baseline(url, schema, args.csv_rows)
            with fresh_database(backend) as (url, schema):
                api = asyncio.run(api_rate(url, schema, args.api_rows))
            with fresh_database(backend) as (url, schema):
                csv_result = asyncio.run(csv_rate(url, schema, csv_path, args.csv_rows))
            report["results"][backend] = {
                "baseline_core_bulk_insert_rows_per_s": round(base),
                "api_purchases_per_s": round(api),
                "api_vs_baseline": round(api / base, 3),
                "csv": csv_result,
                "csv_vs_baseline": round(csv_result["rows_per_s"] / base, 3),
            }
            print(f"{backend}: done", file=sys.stderr)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
