"""The real slack_sdk AsyncWebClient against the local server: shapes, state and errors."""

from __future__ import annotations

import asyncio

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.local_servers.slack_api import BOT_ID, BOT_USER_ID, LocalSlackApi, SlackUser

CARD = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Case 1*: washing machine leaks"}},
    {
        "type": "actions",
        "block_id": "case:1",
        "elements": [
            {
                "type": "button",
                "action_id": "claim",
                "value": "1",
                "text": {"type": "plain_text", "text": "Claim"},
            },
        ],
    },
]


async def test_auth_test_answers_what_bolt_needs(client: AsyncWebClient) -> None:
    reply = await client.auth_test()
    assert reply["ok"] is True
    assert reply["user_id"] == BOT_USER_ID and reply["bot_id"] == BOT_ID
    assert reply["team_id"].startswith("T")


async def test_post_then_update_keeps_current_state(
    slack: LocalSlackApi, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel="C0SUPPORT", text="Case 1", blocks=CARD)
    assert posted["channel"] == "C0SUPPORT"
    assert posted["message"]["blocks"] == CARD
    assert slack.calls[-1].params["blocks"] == CARD  # decoded, not a JSON string

    claimed = [CARD[0], {"type": "context", "elements": [{"type": "mrkdwn", "text": "Anna"}]}]
    updated = await client.chat_update(
        channel="C0SUPPORT", ts=posted["ts"], text="Case 1 claimed", blocks=claimed
    )
    assert updated["ts"] == posted["ts"]
    [stored] = slack.messages("C0SUPPORT")
    assert stored["text"] == "Case 1 claimed"
    assert stored["blocks"] == claimed
    assert "edited" in stored


async def test_ts_unique_increasing_and_slack_shaped(client: AsyncWebClient) -> None:
    stamps = [(await client.chat_postMessage(channel="C1", text=str(i)))["ts"] for i in range(20)]
    assert len(set(stamps)) == 20
    assert stamps == sorted(stamps, key=float)
    sec, _, micro = stamps[0].partition(".")
    assert len(sec) == 10 and len(micro) == 6


async def test_update_of_unknown_message_is_message_not_found(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        await client.chat_update(channel="C1", ts="1.000001", text="x")
    assert err.value.response["error"] == "message_not_found"
    assert err.value.response.status_code == 200


async def test_thread_replies_and_history(slack: LocalSlackApi, client: AsyncWebClient) -> None:
    parent = await client.chat_postMessage(channel="C1", text="card")
    await client.chat_postMessage(channel="C1", text="reminder", thread_ts=parent["ts"])
    await client.chat_postMessage(channel="C1", text="customer wrote", thread_ts=parent["ts"])
    await client.chat_postMessage(channel="C1", text="another card")

    replies = await client.conversations_replies(channel="C1", ts=parent["ts"])
    assert [m["text"] for m in replies["messages"]] == ["card", "reminder", "customer wrote"]
    assert replies["messages"][0]["reply_count"] == 2
    assert [m["text"] for m in slack.thread("C1", parent["ts"])][1:] == [
        "reminder",
        "customer wrote",
    ]
    history = await client.conversations_history(channel="C1")
    assert [m["text"] for m in history["messages"]] == ["another card", "card"]

    with pytest.raises(SlackApiError) as err:
        await client.conversations_replies(channel="C1", ts="1.000001")
    assert err.value.response["error"] == "thread_not_found"


async def test_views_open_update_and_users_info(
    slack: LocalSlackApi, client: AsyncWebClient
) -> None:
    view = {
        "type": "modal",
        "callback_id": "reply",
        "private_metadata": "case:1",
        "title": {"type": "plain_text", "text": "Reply"},
        "blocks": [],
    }
    opened = await client.views_open(trigger_id="123.456.abc", view=view)
    view_id = opened["view"]["id"]
    assert view_id.startswith("V")
    assert slack.opened_views[0]["callback_id"] == "reply"
    assert slack.opened_views[0]["private_metadata"] == "case:1"

    await client.views_update(view_id=view_id, view={**view, "callback_id": "reply2"})
    assert slack.views[view_id]["callback_id"] == "reply2"
    with pytest.raises(SlackApiError):
        await client.views_open(trigger_id="", view=view)

    slack.add_user(SlackUser("U0CARL", "Carl Jansen", first_name="Carl", tz="Europe/Brussels"))
    user = (await client.users_info(user="U0CARL"))["user"]
    assert user["real_name"] == "Carl Jansen"
    assert user["profile"]["first_name"] == "Carl"
    assert user["tz"] == "Europe/Brussels"
    with pytest.raises(SlackApiError) as err:
        await client.users_info(user="U0NOBODY")
    assert err.value.response["error"] == "user_not_found"


async def test_ephemeral_permalink_reactions_usergroups(
    slack: LocalSlackApi, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel="C1", text="card")
    await client.chat_postEphemeral(channel="C1", user="U0BOB", text="Anna has this case")
    assert slack.ephemerals[0]["user"] == "U0BOB"
    link = await client.chat_getPermalink(channel="C1", message_ts=posted["ts"])
    assert posted["ts"].replace(".", "") in link["permalink"]
    await client.reactions_add(channel="C1", timestamp=posted["ts"], name="white_check_mark")
    assert slack.messages("C1")[0]["reactions"][0]["name"] == "white_check_mark"
    groups = await client.usergroups_list(include_users=True)
    assert groups["usergroups"][0]["handle"] == "support-leads"
    assert groups["usergroups"][0]["users"] == ["U0ANNA"]


async def test_files_upload_v2_end_to_end(slack: LocalSlackApi, client: AsyncWebClient) -> None:
    png = bytes(range(256)) * 4
    reply = await client.files_upload_v2(
        channel="C0MANAGERS", content=png, filename="nps.png", title="NPS this week"
    )
    file_id = reply["file"]["id"]
    stored = slack.files[file_id]
    assert stored.content == png
    assert (stored.name, stored.title, stored.channel) == ("nps.png", "NPS this week", "C0MANAGERS")
    assert [c.method for c in slack.calls] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]


async def test_invalid_and_missing_token(slack: LocalSlackApi) -> None:
    wrong = AsyncWebClient(token="xoxb-wrong", base_url=slack.base_url)
    with pytest.raises(SlackApiError) as err:
        await wrong.chat_postMessage(channel="C1", text="x")
    assert err.value.response["error"] == "invalid_auth"
    assert slack.messages("C1") == []
    missing = AsyncWebClient(base_url=slack.base_url)
    with pytest.raises(SlackApiError) as err:
        await missing.auth_test()
    assert err.value.response["error"] == "not_authed"
    assert slack.stats["invalid_auth"] == 1


async def test_unknown_method(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        await client.api_call("chat.teleport", json={"channel": "C1"})
    assert err.value.response["error"] == "unknown_method"


async def test_configured_channels_resolve_names_and_reject_others() -> None:
    async with LocalSlackApi("xoxb-t", channels={"C0SUPPORT": "support"}) as server:
        web = AsyncWebClient(token="xoxb-t", base_url=server.base_url)
        posted = await web.chat_postMessage(channel="#support", text="hi")
        assert posted["channel"] == "C0SUPPORT"
        assert server.messages("C0SUPPORT")[0]["text"] == "hi"
        with pytest.raises(SlackApiError) as err:
            await web.chat_postMessage(channel="C0OTHER", text="hi")
        assert err.value.response["error"] == "channel_not_found"


async def test_wait_for_sees_a_later_call(slack: LocalSlackApi, client: AsyncWebClient) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        await client.chat_postMessage(channel="C1", text="late")

    task = asyncio.create_task(later())
    call = await slack.wait_for("chat.postMessage", timeout=2)
    await task
    assert call.params["text"] == "late"
    with pytest.raises(TimeoutError):
        await slack.wait_for(lambda c: c.params.get("text") == "never", timeout=0.1)


async def test_response_url_replace_original_updates_the_message(
    slack: LocalSlackApi, client: AsyncWebClient
) -> None:
    from slack_sdk.webhook.async_client import AsyncWebhookClient

    posted = await client.chat_postMessage(channel="C1", text="card")
    hook = AsyncWebhookClient(slack.new_response_url("C1", posted["ts"]))
    reply = await hook.send(text="card (claimed)", replace_original=True)
    assert reply.status_code == 200
    assert slack.messages("C1")[0]["text"] == "card (claimed)"
    await AsyncWebhookClient(slack.new_response_url("C1")).send(text="only you see this")
    assert slack.ephemerals[-1]["text"] == "only you see this"
    assert len(slack.response_posts) == 2


async def test_post_as_user_shows_in_thread_but_not_in_calls(
    slack: LocalSlackApi, client: AsyncWebClient
) -> None:
    parent = await client.chat_postMessage(channel="C1", text="card")
    human = slack.post_as_user("C1", "I'll call her", user="U0BOB", thread_ts=parent["ts"])
    replies = await client.conversations_replies(channel="C1", ts=parent["ts"])
    assert replies["messages"][1]["ts"] == human["ts"]
    assert replies["messages"][1]["user"] == "U0BOB"
    assert "bot_id" not in replies["messages"][1]
    assert [c.method for c in slack.calls] == ["chat.postMessage", "conversations.replies"]
