"""A small known data set for insights tests, with every figure computed by hand below.

Current period: 2026-11-01 .. 2026-11-15 (UTC), previous: 2026-10-18 .. 2026-11-01.

Current, Washing machine / usage / en unless noted:
  NPS 10, 10, 9, 9, 8, 7, 6, 3, 0, 10      -> n 10, promoters 5, passives 2, detractors 3, NPS +20
  CSAT 5, 4, 3, 1 (delivery)               -> 2/4 = 50%
  CSAT 5 (Kettle, delivery, nl)            -> with it 3/5 = 60%
  CES 7, 5, 4                              -> 2/3 = 66.7%
  words: +0.5 "Works great, very quiet"  (themes: product_quality)
         -0.5 "It leaked, water everywhere" (themes: damage, product_quality), segment detractor
         +0.3 "Delivery was quick" (themes: delivery)
         -> 3 words, average polarity 0.1; product_quality 2 (avg 0.0), damage 1, delivery 1
Previous:
  NPS 9, 6, 6, 8 -> n 4, p 1, d 2, NPS -25;  CSAT 5, 5 -> 100%
  Check-ins: current 4 sent (3 answered, 1 expired); previous 2 sent (1 answered)
Cases (opened in current): A claimed after 1h, resolved after 5h, recovered;
  B claimed after 3h (after its respond_by), resolved after 9h, not recovered;
  C still open, escalated.   -> median claim 2h, median resolve 7h, missed 2, recovered 1
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from storage.db import Database
from storage.models import Answer, Case, CheckIn, Customer

START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 11, 15, tzinfo=UTC)
PREV = datetime(2026, 10, 18, tzinfo=UTC)
NOW = datetime(2026, 11, 15, tzinfo=UTC)


def _answer(cid: int, qt: str, at: datetime, score: int | None = None, **kw: Any) -> Answer:
    fields: dict[str, Any] = {
        "product": "Washing machine",
        "touchpoint": "usage",
        "language": "en",
    }
    fields.update(kw)
    return Answer(customer_id=cid, question_type=qt, score=score, created_at=at, **fields)


async def load(db: Database) -> dict[str, int]:
    """Repositories the data set; returns the customer ids by name."""
    async with db.session() as s:
        ann = Customer(name="Ann Smith", email="ann@example.com", phone="+3161234", language="en")
        kees = Customer(name="Kees Jansen", email="kees@example.nl", language="nl")
        s.add_all([ann, kees])
        await s.flush()
        a, k = ann.id or 0, kees.id or 0
        t = START + timedelta(hours=1)
        rows: list[Answer] = []
        for i, score in enumerate((10, 10, 9, 9, 8, 7, 6, 3, 0, 10)):
            rows.append(_answer(a, "nps", t + timedelta(hours=i), score, segment=None))
        for i, score in enumerate((5, 4, 3, 1)):
            rows.append(
                _answer(a, "csat", t + timedelta(days=1, hours=i), score, touchpoint="delivery")
            )
        rows.append(
            _answer(
                k,
                "csat",
                t + timedelta(days=2),
                5,
                product="Kettle",
                touchpoint="delivery",
                language="nl",
            )
        )
        for i, score in enumerate((7, 5, 4)):
            rows.append(_answer(a, "ces", t + timedelta(days=3, hours=i), score))
        words = [
            ("Works great, very quiet", 0.5, "positive", "promoter", ["product_quality"]),
            (
                "It leaked, water everywhere",
                -0.5,
                "negative",
                "detractor",
                ["damage", "product_quality"],
            ),
            ("Delivery was quick", 0.3, "positive", "promoter", ["delivery"]),
        ]
        for i, (text, pol, label, seg, themes) in enumerate(words):
            rows.append(
                _answer(
                    a,
                    "text",
                    t + timedelta(days=4, hours=i),
                    text=text,
                    polarity=pol,
                    sentiment=label,
                    segment=seg,
                    analysis={"themes": themes, "reasons": []},
                )
            )
        p = PREV + timedelta(days=1)
        for i, score in enumerate((9, 6, 6, 8)):
            rows.append(_answer(a, "nps", p + timedelta(hours=i), score))
        for i in range(2):
            rows.append(
                _answer(a, "csat", p + timedelta(days=1, hours=i), 5, touchpoint="delivery")
            )
        s.add_all(rows)
        await s.flush()
        leak = rows[19]  # "It leaked": the detractor's words
        for i, status in enumerate(("answered", "answered", "answered", "expired")):
            sent = t + timedelta(days=i)
            s.add(
                CheckIn(
                    customer_id=a,
                    journey="standard",
                    touchpoint="usage",
                    due_at=sent,
                    sent_at=sent,
                    status=status,
                    answered_at=sent + timedelta(hours=2) if status == "answered" else None,
                )
            )
        for i, status in enumerate(("answered", "sent")):
            sent = p + timedelta(days=i)
            s.add(
                CheckIn(
                    customer_id=a,
                    journey="standard",
                    touchpoint="usage",
                    due_at=sent,
                    sent_at=sent,
                    status=status,
                    answered_at=sent + timedelta(hours=1) if status == "answered" else None,
                )
            )
        o = START + timedelta(days=5)
        s.add_all(
            [
                Case(
                    customer_id=a,
                    answer_id=leak.id,
                    status="resolved",
                    opened_at=o,
                    respond_by=o + timedelta(hours=2),
                    claimed_at=o + timedelta(hours=1),
                    resolved_at=o + timedelta(hours=5),
                    recovered=True,
                    gesture="Voucher €10",
                    gesture_code="SORRY-AAA111",
                    note_delivery="sent",
                ),
                Case(
                    customer_id=k,
                    status="resolved",
                    opened_at=o,
                    respond_by=o + timedelta(hours=2),
                    claimed_at=o + timedelta(hours=3),
                    resolved_at=o + timedelta(hours=9),
                    recovered=False,
                    gesture="Handwritten card",
                    note_delivery="blocked",  # never reached the customer: not given
                ),
                Case(
                    customer_id=k,
                    status="open",
                    open_for_customer=k,
                    opened_at=o + timedelta(days=1),
                    respond_by=o + timedelta(days=1, hours=1),
                    escalated_at=o + timedelta(days=1, hours=2),
                ),
            ]
        )
    return {"ann": a, "kees": k}
