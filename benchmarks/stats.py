"""The managers' ``stats`` summary over 1M answers, on SQLite and PostgreSQL. Prints JSON.

Data: 90 days, 20 products, 3 touchpoints, 2 languages; a realistic mix of NPS, CSAT, CES,
yes/no and words (with sentiment and themes), check-ins and support cases. Bulk loaded at
migration 0002 (Core inserts on SQLite, COPY on PostgreSQL), then upgraded, so the newest
indexes are built on the full tables.

Before timing, the daily rollup of answers is brought up to date as the ``insights_rollup`` job
would have by then (``rollup_s``: the days that ended 3 hours before the end, 90 on the first
run, none on a kept PostgreSQL schema). Timed, median of ``--runs`` runs after a warm-up: the
full summary (``InsightsService.summary`` for ``stats 30d``: answers of this and the previous
30 days, check-ins, cases with medians, top themes with quotes), a filtered summary (one
product), and, in the same run, the baseline: one hand-written ``GROUP BY`` for NPS alone over
the same 30 days. RSS is read after a warm-up and after all timed runs (flat: no rows are
loaded into Python).

    python benchmarks/stats.py [--answers 1000000] [--runs 7] [--backends sqlite,postgresql]
                               [--rebuild] [--keep-pg]

The SQLite data set is kept in ~/.cache/mentorbot between runs; the PostgreSQL one (schema
bench_stats_v1_<answers>) only with --keep-pg. Migrations are applied to them on every run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import PG_URL, peak_rss_mb, pg_available, rss_mb
from handlers.insights.service import InsightsService, InsightsSettings
from storage.db import Database, configure_engine, engine_options, sync_url
from storage.insights.store import InsightsStore
from storage.migrate import upgrade
from storage.models import Answer, Case, CheckIn, Customer

END = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
DAYS = 90
PRODUCTS = [f"Product {i:02d}" for i in range(20)]
PRODUCT_WEIGHTS = [1 / (i + 1) for i in range(20)]
TOUCHPOINTS = {
    "delivery": (0.45, [("csat", 0.5), ("yes_no", 0.3), ("text", 0.2)]),
    "usage": (0.5, [("nps", 0.45), ("ces", 0.35), ("text", 0.2)]),
    "recovery": (0.05, [("yes_no", 0.4), ("nps", 0.4), ("text", 0.2)]),
}
NPS_WEIGHTS = [3, 3, 3, 4, 5, 7, 8, 12, 15, 20, 20]  # 0..10
CSAT_WEIGHTS = [7, 8, 15, 30, 40]  # 1..5
CES_WEIGHTS = [4, 5, 8, 13, 20, 25, 25]  # 1..7
THEMES = [
    "delivery",
    "damage",
    "installation",
    "product_quality",
    "price",
    "support",
    "returns_refunds",
    "website_app",
]
WORDS = [
    "Arrived on time and works perfectly",
    "The box was damaged and the door is dented",
    "Installation took ages, the manual is unclear",
    "Great quality, very quiet machine",
    "Too expensive for what it does",
    "Support answered quickly and kindly",
    "I want my money back, it leaks",
    "De bezorging was snel en netjes",
    "Kapot aangekomen, erg teleurgesteld",
    "Prima product, doet wat het moet doen",
]
SCHEMA_VERSION = "v1"
CACHE = Path.home() / ".cache" / "mentorbot"


def _segment(qt: str, score: int | None) -> str | None:
    if score is None:
        return None
    cut = {"nps": (6, 8), "csat": (2, 3), "ces": (3, 4)}.get(qt)
    if cut is None:
        return None
    return "detractor" if score <= cut[0] else "passive" if score <= cut[1] else "promoter"


def generate(answers: int, seed: int = 7) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(table, rows) chunks: customers, check-ins, answers, cases; ids from 1."""
    rnd = random.Random(seed)
    start = END - timedelta(days=DAYS)
    span = DAYS * 86400
    customers = max(10, answers // 4)
    checkins = max(10, answers * 2 // 5)
    yield (
        "customers",
        [
            {
                "id": i,
                "name": f"Customer {i}",
                "email": f"c{i}@example.com",
                "language": "nl" if i % 5 < 2 else "en",
                "timezone": "Europe/Amsterdam",
                "opt_in_state": "opted_in",
                "consent_checkins": True,
                "consent_marketing": False,
                "created_at": start,
                "updated_at": start,
            }
            for i in range(1, customers + 1)
        ],
    )
    chunk: list[dict[str, Any]] = []
    statuses = ["answered"] * 55 + ["expired"] * 25 + ["reminded"] * 10 + ["sent"] * 10
    for i in range(1, checkins + 1):
        sent = start + timedelta(seconds=rnd.random() * span)
        status = rnd.choice(statuses)
        chunk.append(
            {
                "id": i,
                "customer_id": rnd.randint(1, customers),
                "journey": "standard",
                "touchpoint": rnd.choices(list(TOUCHPOINTS), [t[0] for t in TOUCHPOINTS.values()])[
                    0
                ],
                "due_at": sent,
                "status": status,
                "attempt_count": 1,
                "sent_at": sent,
                "reminded_at": sent + timedelta(days=1)
                if status in ("reminded", "expired")
                else None,
                "answered_at": sent + timedelta(hours=rnd.random() * 30)
                if status == "answered"
                else None,
                "created_at": sent,
            }
        )
        if len(chunk) == 50_000:
            yield "checkins", chunk
            chunk = []
    if chunk:
        yield "checkins", chunk
    chunk = []
    tp_names = list(TOUCHPOINTS)
    tp_weights = [t[0] for t in TOUCHPOINTS.values()]
    for i in range(1, answers + 1):
        tp = rnd.choices(tp_names, tp_weights)[0]
        types = TOUCHPOINTS[tp][1]
        qt = rnd.choices([t[0] for t in types], [t[1] for t in types])[0]
        lang = "nl" if rnd.random() < 0.4 else "en"
        score: int | None = None
        text_: str | None = None
        polarity = sentiment = analysis = None
        if qt == "nps":
            score = rnd.choices(range(11), NPS_WEIGHTS)[0]
        elif qt == "csat":
            score = rnd.choices(range(1, 6), CSAT_WEIGHTS)[0]
        elif qt == "ces":
            score = rnd.choices(range(1, 8), CES_WEIGHTS)[0]
        elif qt == "yes_no":
            score = 1 if rnd.random() < 0.85 else 0
        segment = _segment(qt, score)
        if qt == "text":
            text_ = rnd.choice(WORDS)
            polarity = max(-1.0, min(1.0, rnd.gauss(0.15, 0.45)))
            sentiment = (
                "positive" if polarity > 0.1 else "negative" if polarity < -0.1 else "neutral"
            )
            segment = rnd.choice(["detractor", "passive", "promoter", "ambassador_candidate"])
            themes = rnd.sample(THEMES, rnd.choice([0, 1, 1, 2]))
            analysis = {"themes": themes, "reasons": [], "polarity": round(polarity, 4)}
        elif score is not None:
            polarity, sentiment = 0.0, "neutral"
        chunk.append(
            {
                "id": i,
                "customer_id": rnd.randint(1, customers),
                "checkin_id": rnd.randint(1, checkins),
                "question_id": qt,
                "question_type": qt,
                "score": score,
                "text": text_,
                "language": lang,
                "touchpoint": tp,
                "product": rnd.choices(PRODUCTS, PRODUCT_WEIGHTS)[0],
                "scoring_status": "scored",
                "polarity": polarity,
                "sentiment": sentiment,
                "segment": segment,
                "escalate": False,
                "analysis": analysis,
                "created_at": start + timedelta(seconds=rnd.random() * span),
            }
        )
        if len(chunk) == 50_000:
            yield "answers", chunk
            chunk = []
    if chunk:
        yield "answers", chunk
    cases = []
    for i in range(1, answers // 100 + 1):
        opened = start + timedelta(seconds=rnd.random() * span)
        claimed = (
            opened + timedelta(minutes=rnd.expovariate(1 / 40)) if rnd.random() < 0.95 else None
        )
        resolved = (
            claimed + timedelta(hours=rnd.expovariate(1 / 6))
            if claimed and rnd.random() < 0.8
            else None
        )
        cases.append(
            {
                "id": i,
                "customer_id": rnd.randint(1, customers),
                "answer_id": i * 97,
                "status": "resolved" if resolved else "claimed" if claimed else "open",
                "priority": "normal",
                "reasons": [],
                "respond_by": opened + timedelta(hours=1),
                "opened_at": opened,
                "claimed_at": claimed,
                "resolved_at": resolved,
                "escalated_at": opened + timedelta(hours=1) if claimed is None else None,
                "recovered": (rnd.random() < 0.4) if resolved else None,
            }
        )
    yield "cases", cases


TABLES = {"customers": Customer, "checkins": CheckIn, "answers": Answer, "cases": Case}


def load_sqlite(url: str, answers: int) -> None:
    """Core bulk inserts."""
    target = sync_url(url)
    engine = create_engine(target, **engine_options(target, None))
    configure_engine(engine, target)
    with engine.begin() as conn:
        for table, rows in generate(answers):
            conn.execute(insert(TABLES[table].__table__), rows)  # type: ignore[attr-defined]
    engine.dispose()


def _copy_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def load_postgres(schema: str, answers: int) -> None:
    """COPY each chunk (psycopg)."""
    import psycopg

    with psycopg.connect(PG_URL, options=f"-csearch_path={schema}") as conn:
        for table, rows in generate(answers):
            columns = list(rows[0])
            with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([_copy_value(row[c]) for c in columns])
        conn.commit()


def sqlite_database(answers: int, rebuild: bool, tmp: Path) -> str:
    """A copy of the cached SQLite data set, upgraded to the newest migration."""
    CACHE.mkdir(parents=True, exist_ok=True)
    cached = CACHE / f"stats-bench-{SCHEMA_VERSION}-{answers}.db"
    if rebuild or not cached.exists():
        building = cached.with_suffix(".building")
        building.unlink(missing_ok=True)
        url = f"sqlite:///{building}"
        upgrade(url, revision="0002")
        load_sqlite(url, answers)
        building.rename(cached)
    path = tmp / "stats.db"
    shutil.copy(cached, path)
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = create_engine(sync_url(url))
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return url


def drop_schema(schema: str) -> None:
    """Remove a benchmark schema."""
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def postgres_schema(answers: int, rebuild: bool) -> str:
    """A PostgreSQL schema holding the data set (reused when a kept one exists), upgraded to
    the newest migration."""
    import psycopg

    schema = f"bench_stats_{SCHEMA_VERSION}_{answers}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        found = conn.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = %s "
            "AND table_name = 'bench_complete'",
            (schema,),
        ).fetchone()
    if rebuild or not found:
        drop_schema(schema)
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        upgrade(PG_URL, schema, revision="0002")
        load_postgres(schema, answers)
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'CREATE TABLE "{schema}".bench_complete (at timestamptz)')
    upgrade(PG_URL, schema)
    with psycopg.connect(PG_URL, autocommit=True, options=f"-csearch_path={schema}") as conn:
        conn.execute("VACUUM ANALYZE")
    return schema


NPS_SQL = """
SELECT score, COUNT(*) AS n
FROM answers
WHERE question_type = 'nps' AND created_at >= :start AND created_at < :end
GROUP BY score
"""


def _bound(db: Database, moment: datetime) -> Any:
    if db.dialect == "sqlite":
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment


async def _median_ms(fn: Any, runs: int) -> tuple[float, Any]:
    result = await fn()  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = await fn()
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 1), result


async def measure(url: str, schema: str | None, runs: int) -> dict[str, Any]:
    """Time the summary, a filtered summary and the NPS-only baseline on one database."""
    db = Database(url, schema=schema)
    data = InsightsStore(db)
    t0 = time.perf_counter()
    rolled_days = await data.roll_up(END)  # what the insights_rollup job has done by END
    rollup_s = time.perf_counter() - t0
    async with db.session() as s:
        await s.execute(text("ANALYZE answer_rollups" if schema else "ANALYZE"))
    service = InsightsService(data, InsightsSettings(timezone="UTC"), lambda: END)
    query = service.parse("stats 30d")
    filtered = service.parse(f'stats 30d product="{PRODUCTS[3]}"')
    flt = query.filter()
    params = {"start": _bound(db, flt.start), "end": _bound(db, flt.end)}

    async def baseline() -> Any:
        async with db.session() as s:
            return (await s.execute(text(NPS_SQL), params)).all()

    await service.summary(query)  # warm-up: connections, caches and compiled statements
    await service.summary(filtered)
    await baseline()
    rss_before = rss_mb()
    summary_ms, summary = await _median_ms(lambda: service.summary(query), runs)
    filtered_ms, _ = await _median_ms(lambda: service.summary(filtered), runs)
    baseline_ms, nps_rows = await _median_ms(baseline, runs)
    rss_after = rss_mb()
    async with db.session() as s:
        total = (await s.execute(text("SELECT COUNT(*) FROM answers"))).scalar_one()
    await db.dispose()
    nps_n = sum(int(r.n) for r in nps_rows)
    promoters = sum(int(r.n) for r in nps_rows if r.score >= 9)
    detractors = sum(int(r.n) for r in nps_rows if r.score <= 6)
    assert (summary.current.nps_n, summary.current.promoters, summary.current.detractors) == (
        nps_n,
        promoters,
        detractors,
    ), "the summary and the baseline disagree on NPS"
    return {
        "answers": total,
        "rollup_days": rolled_days,
        "rollup_s": round(rollup_s, 1),
        "stats_30d_summary_ms": summary_ms,
        "stats_30d_one_product_ms": filtered_ms,
        "baseline_nps_group_by_ms": baseline_ms,
        "summary_vs_baseline": round(summary_ms / baseline_ms, 2) if baseline_ms else None,
        "nps_30d": round(summary.current.nps or 0, 1),
        "nps_n_30d": summary.current.nps_n,
        "rss_mb_after_warm_up": round(rss_before, 1),
        "rss_mb_after_all_runs": round(rss_after, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def main() -> None:
    """Build (or reuse) the data sets, time the queries, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--rebuild", action="store_true", help="rebuild the cached data sets (both backends)"
    )
    parser.add_argument(
        "--keep-pg",
        action="store_true",
        help="keep the PostgreSQL schema for the next run (default: dropped afterwards)",
    )
    args = parser.parse_args()
    goals = {"sqlite": 300, "postgresql": 150}
    report: dict[str, Any] = {"benchmark": "stats", "days": DAYS, "goals_ms": goals}
    for backend in args.backends.split(","):
        t0 = time.perf_counter()
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                url = sqlite_database(args.answers, args.rebuild, Path(tmp))
                build_s = time.perf_counter() - t0
                result = asyncio.run(measure(url, None, args.runs))
        else:
            if not pg_available():
                report[backend] = {"skipped": f"PostgreSQL at {PG_URL} not reachable"}
                continue
            schema = postgres_schema(args.answers, args.rebuild)
            build_s = time.perf_counter() - t0
            try:
                result = asyncio.run(measure(PG_URL, schema, args.runs))
            finally:
                if not args.keep_pg:
                    drop_schema(schema)
        result["build_s"] = round(build_s, 1)
        result["goal_met"] = result["stats_30d_summary_ms"] < goals.get(backend, 0)
        report[backend] = result
        print(f"{backend}: done", file=sys.stderr)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
