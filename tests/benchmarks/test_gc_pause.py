"""benchmarks/gc_pause.py runs on a started bot and counts what the freeze takes out of the
collector's passes (object counts only: times are the benchmark's figures, not a test's)."""

from __future__ import annotations

import gc

from benchmarks.gc_pause import started_bot_figures


async def test_the_benchmark_freezes_the_started_bot_and_gives_it_back() -> None:
    figures = await started_bot_figures(passes=2, checkins=20)
    assert figures["checkins_sent"] == [20, 0]
    assert figures["frozen_objects"] > 10_000
    assert figures["tracked_objects_after_second_round"] < figures["frozen_objects"] // 10
    assert set(figures["baseline_unfrozen"]) == {"median_ms", "max_ms"}
    assert gc.get_freeze_count() == 0
