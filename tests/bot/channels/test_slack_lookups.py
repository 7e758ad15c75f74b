"""Finding an interrupted attempt's file in a case thread: only a file the bot itself shared
counts (a staff member's photo.jpg of the same size is not it), across pages of
conversations.replies as Slack pages them."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack_adapter import UPLOAD_TIMEOUT, SlackDesk, web_client
from bot.channels.slack_lookups import ThreadLookups

BOT, STAFF = "U0BOT", "U0KIM"


class Replies(ThreadLookups):
    """Slack's answers to auth.test and conversations.replies, two pages."""

    def __init__(self, pages: list[list[dict[str, Any]]]) -> None:
        self.pages, self.calls = pages, []

    async def _call(self, method: str, **args: Any) -> dict[str, Any]:
        self.calls.append(method)
        if method == "auth.test":
            return {"ok": True, "user_id": BOT}
        page = int(args.get("cursor") or 0)
        more = {"next_cursor": str(page + 1)} if page + 1 < len(self.pages) else {}
        return {"messages": self.pages[page], "response_metadata": more}


def shared(by: str, file_id: str, name: str = "photo.jpg", size: int = 4) -> dict[str, Any]:
    return {"user": by, "files": [{"id": file_id, "name": name, "size": size, "user": by}]}


async def test_only_the_bot_s_own_share_of_that_name_and_size_is_found() -> None:
    desk = Replies([[shared(STAFF, "F_STAFF"), shared(BOT, "F_OTHER", size=5)],
                    [{"user": STAFF, "text": "thanks"}, shared(BOT, "F_BOT")]])  # fmt: skip
    assert await desk.find_file("C1", "1.0", "photo.jpg", 4) == "F_BOT"
    assert desk.calls == ["auth.test", "conversations.replies", "conversations.replies"]
    assert await desk.find_file("C1", "1.0", "photo.jpg", 6) is None
    assert desk.calls.count("auth.test") == 1  # asked once


async def test_a_staff_members_file_alone_is_not_taken_for_the_bots() -> None:
    desk = Replies([[shared(STAFF, "F_STAFF")]])
    assert await desk.find_file("C1", "1.0", "photo.jpg", 4) is None


def test_files_upload_with_a_timeout_that_fits_a_file_and_are_never_repeated() -> None:
    """slack_sdk gives the upload of the bytes the client's timeout as its whole time: the
    desk's files go through a client of their own with 120 s, and without the SDK's retries
    (a repeated upload would show the file twice)."""
    desk = SlackDesk(web_client("xoxb-t", "http://127.0.0.1:9/api/"))
    assert desk.client.timeout == 10 and UPLOAD_TIMEOUT == 120
    assert isinstance(desk.uploader, AsyncWebClient) and desk.uploader.timeout == 120
    assert desk.uploader.retry_handlers == [] and desk.poster.retry_handlers == []
