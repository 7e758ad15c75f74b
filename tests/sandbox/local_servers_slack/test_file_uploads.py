"""The local Slack server's file uploads keep the rules of Slack's Web API reference
(files.getUploadURLExternal, the upload URL, files.completeUploadExternal), as the real
slack_sdk client meets them."""

from __future__ import annotations

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.local_servers.slack_api import LocalSlackApi
from tests.sandbox.local_servers_slack.conftest import TOKEN


async def test_a_file_shared_in_a_thread_is_a_reply_with_the_file(
    slack: LocalSlackApi, client: AsyncWebClient
) -> None:
    card = await client.chat_postMessage(channel="C0SUPPORT", text="Case #1")
    photo = b"\xff\xd8" + bytes(300)
    reply = await client.files_upload_v2(channel="C0SUPPORT", thread_ts=card["ts"],
                                         content=photo, filename="photo.jpg",
                                         title="Photo from the customer")  # fmt: skip
    replies = await client.conversations_replies(channel="C0SUPPORT", ts=card["ts"])
    parent, shared = replies["messages"]
    assert parent["reply_count"] == 1 and shared["thread_ts"] == card["ts"]
    (file,) = shared["files"]
    assert (file["id"], file["title"], file["mimetype"]) == (
        reply["file"]["id"], "Photo from the customer", "image/jpeg"
    )  # fmt: skip
    assert slack.files[file["id"]].content == photo
    assert [m["ts"] for m in slack.top_level("C0SUPPORT")] == [card["ts"]]  # not top level


async def test_the_bytes_must_match_the_announced_length_and_the_url_is_single_use(
    slack: LocalSlackApi, client: AsyncWebClient
) -> None:
    ticket = await client.files_getUploadURLExternal(filename="a.jpg", length=10)
    url, file_id = ticket["upload_url"], ticket["file_id"]
    async with httpx.AsyncClient() as http:
        assert (await http.post(url, content=b"short")).status_code == 400
        with pytest.raises(SlackApiError) as err:  # the bytes never arrived
            await client.files_completeUploadExternal(files=[{"id": file_id}], channel_id="C1")
        assert err.value.response["error"] == "file_not_found"
        assert (await http.post(url, content=bytes(10))).status_code == 200
        assert (await http.post(url, content=bytes(10))).status_code == 404  # used already
    done = await client.files_completeUploadExternal(files=[{"id": file_id, "title": "A"}],
                                                     channel_id="C1")  # fmt: skip
    assert done["files"][0]["title"] == "A"
    with pytest.raises(SlackApiError) as err:  # "can only be called once"
        await client.files_completeUploadExternal(files=[{"id": file_id}], channel_id="C1")
    assert err.value.response["error"] == "file_not_found"
    assert len(slack.messages("C1")) == 1


async def test_unknown_files_empty_lengths_and_unknown_channels_are_refused(
    client: AsyncWebClient,
) -> None:
    with pytest.raises(SlackApiError) as err:
        await client.files_completeUploadExternal(files=[{"id": "F404"}], channel_id="C1")
    assert err.value.response["error"] == "file_not_found"
    with pytest.raises(SlackApiError) as err:
        await client.files_getUploadURLExternal(filename="empty.txt", length=0)
    assert err.value.response["error"] == "missing_argument"
    async with LocalSlackApi(TOKEN, channels={"C0SUPPORT": "support"}) as server:
        web = AsyncWebClient(token=TOKEN, base_url=server.base_url)
        with pytest.raises(SlackApiError) as err:
            await web.files_upload_v2(channel="C0NOPE", content=b"x", filename="x.txt")
        assert err.value.response["error"] == "channel_not_found"
