"""The chat a customer is written to when they did not just write: their preferred channel.

A customer linked on one channel is written to there. A customer linked on several is written
to on the one they used last (the latest ``last_inbound_at``), else the one linked last. A chat
the channel called unreachable (a permanent delivery error) is passed over.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, select
from sqlalchemy.orm import aliased

from storage.models import ChannelLink


def preferred_link_id(customer_id: Any) -> Any:
    """A scalar subquery: the id of the ``channel_links`` row to write to ``customer_id`` on
    (correlated with the outer query's customer id column)."""
    link = aliased(ChannelLink)
    return (
        select(link.id)
        .where(
            link.customer_id == customer_id,
            link.chat_id.is_not(None),
            link.unreachable_at.is_(None),
        )
        .order_by(
            case((link.last_inbound_at.is_(None), 1), else_=0),
            link.last_inbound_at.desc(),
            case((link.linked_at.is_(None), 1), else_=0),  # NULLs last on both databases
            link.linked_at.desc(),
            link.id.desc(),
        )
        .limit(1)
        .scalar_subquery()
    )
