"""Worker processes for the learned backend: same results, in order, robust to a dying worker."""

import asyncio
import logging
import multiprocessing
import os
import signal
import threading

import pytest

from sentiment.rules import RulesAnalyzer
from sentiment.workers import Recipe, WorkerPool

REPLIES = [
    {"text": "The chair arrived broken, I want my money back", "score": 2, "question": "nps"},
    {"text": "Prima service, snel geleverd", "score": 9, "question": "nps"},
    {"text": "wonderful, the third wrong size in a row", "score": 3, "question": "nps"},
    {"text": "", "score": None, "question": "yes_no"},  # a bare tap: never embedded
    {"text": "Wanneer komt het onderdeel?", "score": 7, "question": "nps"},
    {"text": "Er kwam rook uit de adapter", "score": None, "question": None},
    {"text": "all fine, just expensive", "score": 4, "question": "csat"},
    {"text": "👍", "score": 10, "question": "nps"},
]


def alive(pid: int) -> bool:
    """Whether a process with this id still exists (and is not a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture(scope="module")
def pool(learned):
    """Two started worker processes of the learned backend, closed after the module."""
    found = WorkerPool(Recipe("learned"), 2, learned.rules)
    assert found.start() == "learned"
    yield found
    found.close()


def same(a, b):
    """Two analyses agree: every field, the probabilities to float rounding."""
    assert (a.label, a.escalate, a.intents, a.themes, a.segment, a.priority) == (
        b.label,
        b.escalate,
        b.intents,
        b.themes,
        b.segment,
        b.priority,
    )
    assert a.polarity == pytest.approx(b.polarity, abs=1e-4)
    assert a.confidence == pytest.approx(b.confidence, abs=1e-4)
    assert a.reasons == b.reasons


def test_workers_give_the_in_process_results_in_order(learned, pool):
    items = REPLIES * 3
    expected = learned.analyze_many(items)
    found = pool.score(items)
    assert len(found) == len(items)
    for a, b in zip(found, expected, strict=True):
        same(a, b)
    assert {a.backend for a in found} == {"learned"}
    assert found[3].reasons == expected[3].reasons  # the bare tap: the rules decided


def test_an_invalid_reply_fails_alone_in_a_worker(pool):
    items = [{"text": "fine", "score": 11, "question": "nps"}, REPLIES[0]]
    found = pool.score(items)
    assert isinstance(found[0], ValueError) and "0-10" in str(found[0])
    assert found[1].escalate


def test_a_killed_worker_is_replaced_and_the_batch_still_scored(learned, pool):
    old = pool.pids()
    os.kill(old[0], signal.SIGKILL)
    items = REPLIES * 2
    found = pool.score(items)
    for a, b in zip(found, learned.analyze_many(items), strict=True):
        same(a, b)
    assert pool.workers[0].restarts == 1
    assert pool.pids()[0] != old[0] and not alive(old[0])
    assert pool.pids()[1] == old[1]


def test_a_worker_killed_while_scoring_is_replaced_and_its_replies_scored(learned, pool):
    text = "order {}: the parcel came late and damaged"
    items = [{"text": text.format(i), "score": 3} for i in range(96)]
    victim = pool.pids()[1]
    before = pool.workers[1].restarts
    timer = threading.Timer(0.1, os.kill, (victim, signal.SIGKILL))
    timer.start()
    found = pool.score(items)
    timer.join()
    assert not alive(victim)
    assert pool.workers[1].restarts == before + 1
    assert [a.backend for a in found] == ["learned"] * 96
    assert all(a.escalate for a in found)


def test_a_worker_that_cannot_come_back_leaves_its_replies_to_the_rules(learned, caplog):
    broken = WorkerPool(Recipe("learned"), 2, learned.rules)
    broken.start()
    try:
        # the replacement of worker 0 will not start: its recipe names no backend any more
        broken.workers[0].recipe = Recipe("no-such-backend")
        os.kill(broken.pids()[0], signal.SIGKILL)
        with caplog.at_level(logging.WARNING, logger="sentiment.workers"):
            found = broken.score(REPLIES)
    finally:
        broken.close()
    fell = [k for k, a in enumerate(found) if a.backend == "rules"]
    assert len(fell) == broken.fell_back == len(REPLIES) // 2  # worker 0's share, no more
    assert all(found[k].backend == "learned" for k in set(range(len(REPLIES))) - set(fell))
    rules = RulesAnalyzer().analyze_many([REPLIES[k] for k in fell])
    assert [found[k].label for k in fell] == [a.label for a in rules]
    assert "the rules backend scores them" in caplog.text


def test_close_leaves_no_child_processes(learned):
    own = WorkerPool(Recipe("learned"), 2, learned.rules)
    own.start()
    pids = own.pids()
    assert len(pids) == 2 and all(alive(p) for p in pids)
    own.close()
    assert not any(alive(p) for p in pids)
    assert not [c for c in multiprocessing.active_children() if c.pid in pids]


async def test_scoring_with_processes_keeps_order_leaves_the_loop_free_and_closes_clean(learned):
    import time

    from sentiment.service import Scoring

    scoring = Scoring("learned", processes=2, max_batch=8)
    assert await scoring.warm() == "learned"
    pids = scoring.worker_pids()
    assert len(pids) == 2
    lags: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            t0 = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - t0 - 0.005)

    tick = asyncio.create_task(ticker())
    texts = [r for r in REPLIES if r["text"]] * 8
    t0 = time.perf_counter()
    found = await asyncio.gather(
        *(scoring(r["text"], score=r["score"], question=r["question"]) for r in texts)
    )
    took = time.perf_counter() - t0
    done.set()
    await tick
    for a, b in zip(found, learned.analyze_many(texts), strict=True):
        same(a, b)
    # as loose as test_off_the_loop's bound: the suite shares two cores with the workers
    assert len(lags) >= 5
    assert max(lags) < min(0.25, took / 3), f"loop held up {1000 * max(lags):.1f} ms"
    scoring.close()
    assert not any(alive(p) for p in pids)


def test_each_worker_remembers_short_replies_and_never_embeds_a_bare_tap(learned):
    own = WorkerPool(Recipe("learned"), 2, learned.rules)
    own.start()
    try:
        start = own.memory()  # the warm-up reply was embedded, nothing answered from memory
        short = [r for r in REPLIES if r["text"]]
        own.score(short)
        first = own.memory()
        assert first["embedded"] - start["embedded"] == len(short)
        own.score(short)  # the same batch splits the same way: each half is remembered
        second = own.memory()
        assert second["embedded"] == first["embedded"]
        assert second["hits"] - first["hits"] == len(short)
        taps = [{"text": "", "question": "yes_no"}, {"text": " ", "question": "yes_no"}]
        assert [a.backend for a in own.score(taps)] == ["learned", "learned"]
        assert own.memory() == second  # not embedded, not even looked up
    finally:
        own.close()


def test_a_reply_that_breaks_the_model_fails_alone_and_its_batch_is_scored(pool, caplog):
    items = [REPLIES[0], {"text": "hi", "question": ["not", "a", "type"]}, REPLIES[1]]
    with caplog.at_level(logging.ERROR, logger="sentiment.workers"):
        found = pool.score(items)
    assert isinstance(found[1], AttributeError)
    assert found[0].escalate and found[2].label == "positive"
    assert "could not score" in caplog.text
    assert len(pool.pids()) == 2  # nobody died
