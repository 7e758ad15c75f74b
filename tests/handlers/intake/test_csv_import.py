"""CSV import: good rows stored, bad rows reported, dry run stores nothing; both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import Mentorbot
from handlers.intake.csv_import import BadCsv, import_purchases, read_rows
from storage.models import CheckIn, Purchase
from tests.handlers.intake.test_purchases import NOW

HEADER = (
    "order_id,name,email,phone,language,timezone,product,sku,amount,currency,purchased_at,"
    "delivered_at\n"
)
CSV = (
    HEADER
    + """\
C-1,Ann,ann@example.com,,nl,,Washing machine,WM300,499.00,EUR,2026-11-01,2026-11-03
C-2,,bob@example.com,,en,,Dryer,DR1,,,2026-11-01,
C-3,Cas,,,en,,Dryer,DR1,,,2026-11-01,
C-4,Dee,dee@example.com,,fr,,Dryer,DR1,,,2026-11-01,
C-5,Eve,eve@example.com,+31 6 1234 5678,en,Europe/London,Fridge,FR2,12.5,EUR,2026-13-01,
C-6,Fay,,+31612345679,en,,Fridge,FR2,,,2026-11-02T10:00:00+01:00,
C-1,Ann,ann@example.com,,nl,,Washing machine,WM300,499.00,EUR,2026-11-01,2026-11-03
"""
)


def csv_file(tmp_path: Path, text: str = CSV) -> Path:
    path = tmp_path / "purchases.csv"
    path.write_text(text, encoding="utf-8")
    return path


async def purchases(bot: Mentorbot) -> list[str]:
    async with bot.db.session() as s:
        rows = await s.execute(select(Purchase.external_order_id).order_by(Purchase.id))
        return [r[0] for r in rows.all()]


async def test_good_rows_are_imported_and_bad_rows_reported(
    mentorbot: Mentorbot, tmp_path: Path
) -> None:
    seen: list[int] = []
    summary = await import_purchases(
        mentorbot.repos.purchases,
        mentorbot.units,
        mentorbot.intake,
        read_rows(csv_file(tmp_path)),
        NOW,
        batch_size=3,
        on_progress=seen.append,
    )
    assert (summary.created, summary.updated, summary.unchanged) == (2, 0, 1)
    assert sum(seen) == 7
    bad = {e.order_id: (e.line, " ".join(e.problems)) for e in summary.errors}
    assert bad["C-2"] == (3, "customer.name: Field required")
    assert "needs an email or a phone number" in bad["C-3"][1]
    assert "customer.language" in bad["C-4"][1]
    assert "purchased_at" in bad["C-5"][1]
    assert await purchases(mentorbot) == ["C-1", "C-6"]


async def test_dry_run_stores_nothing(mentorbot: Mentorbot, tmp_path: Path) -> None:
    summary = await import_purchases(
        mentorbot.repos.purchases,
        mentorbot.units,
        mentorbot.intake,
        read_rows(csv_file(tmp_path)),
        NOW,
        dry_run=True,
    )
    assert (summary.created, summary.unchanged, len(summary.errors)) == (2, 1, 4)
    assert await purchases(mentorbot) == []
    async with mentorbot.db.session() as s:
        assert (await s.execute(select(func.count()).select_from(CheckIn))).scalar_one() == 0


def test_missing_required_columns_stop_the_import(tmp_path: Path) -> None:
    with pytest.raises(BadCsv, match="missing column"):
        list(read_rows(csv_file(tmp_path, "order_id,email\nX,x@y.nl\n")))


def test_unknown_columns_are_reported_per_row(tmp_path: Path) -> None:
    rows = list(
        read_rows(
            csv_file(
                tmp_path,
                "order_id,name,email,product,purchased_at,colour\nX,N,x@y.nl,P,2026-11-01,red\n",
            )
        )
    )
    assert rows[0][1]["colour"] == "red"
