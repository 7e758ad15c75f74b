"""Importing purchases from a CSV file: streaming, in batches, bad rows reported, never fatal."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from handlers.intake.purchases import (
    IntakeSettings,
    PurchaseIn,
    ingest_purchases,
    validate_purchases,
)
from handlers.repositories.purchases import Purchases
from handlers.unit_of_work import UnitOfWorkFactory

CUSTOMER_COLUMNS = ("name", "email", "phone", "language", "timezone", "postcode")
PURCHASE_COLUMNS = (
    "order_id",
    "product",
    "sku",
    "amount",
    "currency",
    "purchased_at",
    "delivered_at",
    "journey",
    "referral_code",
    "consent_checkins",
)
REQUIRED_COLUMNS = ("order_id", "name", "product", "purchased_at")


class BadCsv(ValueError):
    """The file as a whole cannot be imported (missing columns, not a CSV)."""


@dataclass
class RowError:
    """Why one row was not imported."""

    line: int
    order_id: str | None
    problems: list[str]


@dataclass
class ImportSummary:
    """What an import did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def rows(self) -> int:
        """Rows read."""
        return self.created + self.updated + self.unchanged + len(self.errors)


def row_to_purchase(row: dict[str, str]) -> dict[str, Any]:
    """A flat CSV row as the nested purchase the API takes; empty cells count as missing."""
    cells = {
        k.strip().lower(): (v.strip() if isinstance(v, str) else v)
        for k, v in row.items()
        if k is not None
    }
    unknown = set(cells) - set(CUSTOMER_COLUMNS) - set(PURCHASE_COLUMNS)
    purchase: dict[str, Any] = {k: cells[k] for k in PURCHASE_COLUMNS if cells.get(k)}
    purchase["customer"] = {k: cells[k] for k in CUSTOMER_COLUMNS if cells.get(k)}
    for name in sorted(unknown):  # let validation name the unknown column
        if cells[name]:
            purchase[name] = cells[name]
    return purchase


def count_rows(path: Path) -> int:
    """Data rows in a CSV file (for the progress bar); quoted newlines may make it an estimate."""
    with path.open("rb") as f:
        return max(sum(1 for _ in f) - 1, 0)


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, purchase dict) for each data row, streamed."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise BadCsv(
                f"{path}: missing column(s) {', '.join(missing)}; "
                f"expected at least {', '.join(REQUIRED_COLUMNS)}"
            )
        for row in reader:
            yield reader.line_num, row_to_purchase(row)


async def import_purchases(
    stored: Purchases,
    units: UnitOfWorkFactory,
    settings: IntakeSettings,
    rows: Iterator[tuple[int, dict[str, Any]]],
    now: datetime,
    *,
    batch_size: int = 500,
    dry_run: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import rows in batches; bad rows go to the summary's errors, good rows are stored.

    With ``dry_run`` nothing is written: rows are validated and checked against what exists.
    """
    summary = ImportSummary(dry_run=dry_run)
    batch: list[tuple[int, dict[str, Any]]] = []

    async def flush() -> None:
        valid, errors = validate_purchases(item for _, item in batch)
        for err in errors:
            summary.errors.append(
                RowError(batch[err["index"]][0], err["order_id"], err["problems"])
            )
        await _store(valid)
        if on_progress:
            on_progress(len(batch))
        batch.clear()

    async def _store(valid: list[PurchaseIn]) -> None:
        if not valid:
            return
        if dry_run:
            existing = await stored.find_purchases([p.order_id for p in valid])
            seen: set[str] = set()
            for p in valid:
                if p.order_id in existing or p.order_id in seen:
                    summary.unchanged += 1
                else:
                    summary.created += 1
                seen.add(p.order_id)
            return
        results = await ingest_purchases(stored, units, settings, valid, now)
        counts = {r.order_id: r.status for r in results}
        summary.created += sum(1 for s in counts.values() if s == "created")
        summary.updated += sum(1 for s in counts.values() if s == "updated")
        summary.unchanged += sum(1 for s in counts.values() if s == "unchanged")
        summary.unchanged += len(valid) - len(counts)  # repeated order ids within the batch

    for item in rows:
        batch.append(item)
        if len(batch) >= batch_size:
            await flush()
    if batch:
        await flush()
    return summary
