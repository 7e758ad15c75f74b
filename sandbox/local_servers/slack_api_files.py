"""File uploads on the local Slack server, as Slack's Web API reference documents them.

The three steps slack_sdk's ``files_upload_v2`` takes:

1. ``files.getUploadURLExternal`` (``filename`` and ``length``, both required; a ``length`` of 0
   is ``missing_argument``) answers an ``upload_url`` on this server and a ``file_id``.
2. A POST of the bytes to that URL (raw or multipart). Slack answers HTTP 200 when the upload
   worked and anything else when it did not: here the bytes must be as long as ``length`` said
   (else 400), and the URL takes one upload only (a second POST: 404).
3. ``files.completeUploadExternal`` (``files``: ``[{"id", "title"}]``, ``channel_id``,
   ``thread_ts``, ``initial_comment``) shares the files; a file id it does not know, or whose
   bytes never arrived, is ``file_not_found`` ("Could not find the file from the upload
   ticket"), and as the method "can only be called once" a second completion is too; an
   unknown ``channel_id`` is ``channel_not_found``. With a channel, the share is a message from
   the bot in that channel (in the thread of ``thread_ts``) with the files and the comment as
   its text, as ``conversations.replies`` then shows it.

Read at docs.slack.dev/reference/methods/files.getUploadURLExternal and
.../files.completeUploadExternal.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from sandbox.local_servers.slack_api_methods import Handler, SlackApiMethods, SlackError
from sandbox.local_servers.slack_state import UploadedFile

__all__ = ["SlackFiles"]


class SlackFiles(SlackApiMethods):
    """The Web API methods with the upload flow (:class:`LocalSlackApi` provides the state)."""

    def _method_handlers(self) -> dict[str, Handler]:
        """The handler of each Web API method, by method name, the file methods too."""
        return {
            **super()._method_handlers(),
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
        }

    def _files_get_upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("filename"):
            raise SlackError("invalid_arguments")
        try:
            length = int(params.get("length") or 0)
        except (TypeError, ValueError):
            raise SlackError("invalid_arguments") from None
        if length <= 0:
            raise SlackError("missing_argument")
        file_id = self.state.new_id("F")
        self.state.files[file_id] = UploadedFile(file_id, str(params["filename"]), length)
        return {"upload_url": f"{self.root_url}upload/v1/{file_id}", "file_id": file_id}

    def receive_upload(self, file_id: str, data: bytes) -> tuple[int, str]:
        """The POST of a file's bytes to its upload URL: (HTTP status, body)."""
        upload = self.state.files.get(file_id)
        if upload is None or upload.content is not None:  # unknown, or the URL was used
            return 404, "file_not_found"
        if len(data) != upload.length:
            return 400, f"length mismatch: announced {upload.length}, received {len(data)}"
        upload.content = data
        return 200, f"OK - {len(data)}"

    def _files_complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        entries = params.get("files")
        if not isinstance(entries, list) or not entries:
            raise SlackError("invalid_arguments")
        channel = self._channel(params, "channel_id") if params.get("channel_id") else None
        uploads = []
        for entry in entries:
            upload = self.state.files.get(str(entry.get("id") if isinstance(entry, dict) else ""))
            if upload is None or upload.content is None or upload.completed:
                raise SlackError("file_not_found")
            uploads.append((upload, entry))
        done = []
        for upload, entry in uploads:
            upload.title = entry.get("title") or upload.name
            upload.channel = channel
            upload.thread_ts = params.get("thread_ts")
            upload.initial_comment = params.get("initial_comment")
            upload.completed = True
            done.append(upload.to_api())
        if channel is not None:
            shown = [{**f, "mimetype": mimetypes.guess_type(f["name"])[0] or f["mimetype"]}
                     for f in done]  # fmt: skip
            fields = {"text": params.get("initial_comment") or "", "files": shown,
                      "upload": True, "thread_ts": params.get("thread_ts")}  # fmt: skip
            message = self.state.post_message(channel, fields)
            for upload, _ in uploads:
                upload.shared_ts = message["ts"]
        return {"files": done}
