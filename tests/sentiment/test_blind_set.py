"""The blind check-in replies (tests/data/blind) are well formed, and only the A writers' rows
are training rows (the plan, tests/data/blind/README.md, committed before any row existed).

Only the format is checked here; the rows' contents are read by nobody tuning.
"""

from pathlib import Path

from sentiment.dataset import (
    BLIND_TRAINED,
    LANGS,
    THEMES,
    blind_relabels,
    blind_reviews,
    blind_rows,
    train_files,
    train_rows,
    written_under_guide,
)

ROOT = Path(__file__).resolve().parents[2]
BLIND = ROOT / "tests" / "data" / "blind"
QUESTIONS = {"": None, "nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}


def test_every_writers_file_has_its_rows_with_allowed_values() -> None:
    for lang in LANGS:
        for writer in sorted({"B", *BLIND_TRAINED}):
            rows = blind_rows(lang, writers=(writer,))
            assert len(rows) >= 200, (lang, writer)
            assert len({r.ident for r in rows}) == len(rows)
            assert all(r.ident.startswith(f"{lang}-b{writer}-") for r in rows)
            for r in rows:
                assert r.lang == lang
                assert r.sentiment in {"negative", "neutral", "positive"}, r.ident
                assert set(r.themes or ()) <= set(THEMES), r.ident
                bounds = QUESTIONS[r.question or ""]
                assert (r.score is None) == (bounds is None), r.ident
                if bounds:
                    assert bounds[0] <= r.score <= bounds[1], r.ident
            assert {r.escalate for r in rows} == {True, False}


def test_second_labels_cover_the_writers_rows_of_their_language() -> None:
    for lang in LANGS:
        relabels = blind_relabels(lang)
        ids = {r.ident for r in blind_rows(lang)}
        assert set(relabels) == ids
        assert {s for s, _e in relabels.values()} <= {"negative", "neutral", "positive"}


def test_the_review_prose_has_both_languages_and_three_labels() -> None:
    rows = blind_reviews()
    assert {g for _t, g, _l in rows} == set(LANGS)
    assert {lab for _t, _g, lab in rows} == {"negative", "neutral", "positive"}


def test_training_reads_the_a_writers_only_and_nothing_else_of_the_blind_set() -> None:
    for path in (ROOT / "sentiment").glob("train*.py"):  # they read the blind set only as rows
        code = path.read_text(encoding="utf-8")  # of train_rows, never on their own
        for reader in ('"blind"', "blind_rows", "blind_reviews", "blind_relabels"):
            assert reader not in code, (path.name, reader)
    for lang in LANGS:
        blind = [f.name for f in train_files(lang) if f.parent == BLIND]
        assert blind == [f"{lang}_{w}.csv" for w in BLIND_TRAINED]
        assert "B" not in BLIND_TRAINED  # never the B writers, the second labels or reviews
        trained = train_rows(lang)
        assert {r.ident for r in blind_rows(lang, writers=("B",))}.isdisjoint(
            {r.ident for r in trained}
        )
        guided = {r.source for r in trained if written_under_guide(r)}
        assert guided == {f"{lang}_train.csv", *(f"{lang}_{w}.csv" for w in BLIND_TRAINED)}
    with (BLIND / "README.md").open(encoding="utf-8") as fh:
        plan = fh.read()
    assert "Test only" in plan and "trains on the A writers' files only" in plan
    assert "training rows only" in plan  # the C and D writers' (second step)
