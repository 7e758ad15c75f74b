"""Socket Mode: the same desk over an outgoing WebSocket, for shops without a public URL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.app import Mentorbot
from sandbox.local_servers.slack_api import LocalSlackApi
from sandbox.local_servers.slack_signing import block_actions
from storage.models import Answer, Case, Customer
from tests.bot.support.desk_harness import CHANNEL, TOKEN
from tests.case_setup import open_case

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def test_a_claim_arrives_over_socket_mode(make_config, db_url) -> None:  # type: ignore[no-untyped-def]
    async with LocalSlackApi(TOKEN, app_token="xapp-test") as slack:
        config = make_config(
            slack={
                "bot_token": TOKEN,
                "app_token": "xapp-test",
                "socket_mode": True,
                "support_channel": CHANNEL,
                "base_url": slack.base_url,
            }
        )
        bot = Mentorbot(config, clock=lambda: NOW, db_schema=db_url[1])
        assert not any(getattr(r, "path", "") == "/slack/events" for r in bot.web_app().routes)
        async with bot.db.session() as s:
            customer = Customer(name="Kim")
            s.add(customer)
            await s.flush()
            answer = Answer(customer_id=customer.id or 0, score=1, question_type="nps")
            s.add(answer)
            await s.flush()
        opening = await open_case(
            bot.repos,
            answer_id=answer.id or 0,
            customer_id=customer.id or 0,
            priority="high",
            reasons=["NPS 1"],
            now=NOW,
            respond_by=None,
            channel=CHANNEL,
        )
        await bot.support.deliver()
        (card,) = slack.top_level(CHANNEL)
        handler = await bot.start_socket_mode()
        try:
            press = block_actions(
                action_id="case_claim",
                value=str(opening.case_id),
                channel_id=CHANNEL,
                message_ts=card["ts"],
                user_id="U0BOB",
            )
            ack = await slack.socket.push("interactive", press.json())
            assert ack["envelope_id"]
            await slack.wait_for("chat.update")
            async with bot.db.session() as s:
                case = (await s.execute(select(Case))).scalar_one()
            assert case.owner == "U0BOB" and case.status == "claimed"
        finally:
            await handler.close_async()
            await bot.close()
