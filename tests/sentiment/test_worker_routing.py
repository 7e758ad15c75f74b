"""Splitting a batch over worker processes: new text balanced, repeats back where remembered."""

from sentiment.embeddings import CACHE_TEXT_CHARS
from sentiment.worker_routing import Router


def test_new_replies_are_dealt_evenly_and_every_position_once():
    router = Router(2)
    items = [{"text": f"reply number {i}"} for i in range(33)]
    groups = router.split(items)
    assert sorted(groups[0] + groups[1]) == list(range(33))
    assert abs(len(groups[0]) - len(groups[1])) <= 1
    assert all(g == sorted(g) for g in groups)


def test_a_short_reply_goes_back_to_the_worker_that_embedded_it():
    router = Router(2)
    first = router.split([{"text": "good"}, {"text": "slow"}, "top"])
    where = {t: w for w, g in enumerate(first) for t in [("good", "slow", "top")[k] for k in g]}
    again = router.split(["top", {"text": "good"}, {"text": "good"}, {"text": "slow"}])
    found = {k: w for w, g in enumerate(again) for k in g}
    assert [found[k] for k in range(4)] == [
        where["top"],
        where["good"],
        where["good"],
        where["slow"],
    ]


def test_a_long_reply_is_not_remembered_so_it_only_balances():
    router = Router(2)
    long = "x" * (CACHE_TEXT_CHARS + 1)
    assert router.split([{"text": long}]) == [[0], []]
    assert router.split([{"text": long}]) == [[0], []]  # least work: worker 0 again, not "its"
    router.split([{"text": "short"}, {"text": "other"}])  # remembered at workers 0 and 1
    # a remembered reply is nearly free, so the long one still goes where least is embedded
    assert router.split([{"text": "other"}, {"text": "short"}, {"text": long}]) == [[1, 2], [0]]


def test_new_replies_go_to_the_worker_with_the_least_queued_from_earlier_batches():
    router = Router(2)
    assert router.split([{"text": "late"}], busy=[5, 0]) == [[], [0]]
    items = [{"text": f"reply {i}"} for i in range(6)]
    groups = router.split(items, busy=[0, 4])
    assert (len(groups[0]), len(groups[1])) == (5, 1)  # 0+5 against 4+1
