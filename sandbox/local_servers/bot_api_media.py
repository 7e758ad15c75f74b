"""Files customers send to the bot on the local Bot API server, and how the bot gets them.

A simulated customer sends a photo (``push_photo``) or a file (``push_document``) with real
bytes; the update names the file as the Bot API does (``photo``: the sizes, smallest first,
``document``: one file with its name and MIME type), and the bot fetches it as on Telegram:
``getFile`` answers a File object with a ``file_path``, whose bytes are served under
``base_file_url``. The rules, as the Bot API's getFile documents them: "bots can download files
of up to 20MB in size" (a larger file: "Bad Request: file is too big"), and a file the server
does not know (``forget_file``: Telegram no longer has it) is "Bad Request: invalid file_id".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.local_servers.bot_api_types import UploadedFile, bad_request

DOWNLOAD_LIMIT = 20 * 1024 * 1024
"""The Bot API's getFile: bots can download files of up to 20 MB."""
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4 + b"\xff\xd9"
"""Bytes of a photo when a test does not give its own."""


class CustomerMedia:
    """Mixin of :class:`~sandbox.local_servers.bot_api.LocalBotApi`: customers' files."""

    files: dict[str, UploadedFile]
    _files_by_unique: dict[str, UploadedFile]
    _ids: Any

    if TYPE_CHECKING:  # provided by the server and its state, later in the MRO

        def build_user_message(self, chat_id: int, text: str, **kw: Any) -> dict[str, Any]: ...

        def _deliver(self, payload: dict[str, Any], chat_id: int | None = None) -> dict: ...

    def user_file(
        self, kind: str, data: bytes, filename: str | None = None, mime_type: str | None = None
    ) -> UploadedFile:
        """A file a customer sent, kept with its bytes so that ``getFile`` finds it."""
        n = next(self._ids)
        prefix = "AgAC" if kind == "photo" else "BQAC"
        upload = UploadedFile(f"{prefix}{n:010d}", f"AQAU{n:06d}", kind, filename, mime_type, data)
        self.files[upload.file_id] = upload
        self._files_by_unique[upload.file_unique_id] = upload
        return upload

    def forget_file(self, file_id: str) -> None:
        """Telegram no longer has the file: getFile answers "invalid file_id"."""
        upload = self.files.pop(file_id, None)
        if upload is not None:
            self._files_by_unique.pop(upload.file_unique_id, None)

    def push_photo(
        self,
        chat_id: int,
        caption: str | None = None,
        data: bytes = JPEG,
        media_group_id: str | None = None,
    ) -> dict[str, Any]:
        """A simulated user sends a photo (with ``caption``, if given), as the Bot API's
        Message has one: ``photo`` is the sizes of the picture, smallest first (the largest is
        ``data``, fetchable with getFile), the caption beside it. An album is several such
        messages, one per photo, with the same ``media_group_id``."""
        message = self.build_user_message(chat_id, "")
        del message["text"]
        largest = self.user_file("photo", data, mime_type="image/jpeg")
        message["photo"] = [
            {"file_id": f"AgAD{size}", "file_unique_id": f"AQAD{size}", "width": size,
             "height": size, "file_size": size * 40}
            for size in (90, 320)
        ] + [{"file_id": largest.file_id, "file_unique_id": largest.file_unique_id,
              "width": 800, "height": 800, "file_size": largest.size}]  # fmt: skip
        if caption is not None:
            message["caption"] = caption
        if media_group_id is not None:
            message["media_group_id"] = media_group_id
        return self._deliver({"message": message}, chat_id)

    def push_document(
        self,
        chat_id: int,
        data: bytes,
        filename: str = "file.pdf",
        mime_type: str | None = "application/pdf",
        caption: str | None = None,
    ) -> dict[str, Any]:
        """A simulated user sends a file (``document``, with its name, MIME type and size)."""
        message = self.build_user_message(chat_id, "")
        del message["text"]
        upload = self.user_file("document", data, filename, mime_type)
        document = {"file_id": upload.file_id, "file_unique_id": upload.file_unique_id,
                    "file_name": filename, "file_size": upload.size}  # fmt: skip
        if mime_type:
            document["mime_type"] = mime_type
        message["document"] = document
        if caption is not None:
            message["caption"] = caption
        return self._deliver({"message": message}, chat_id)

    def _m_getFile(self, params: dict[str, Any]) -> Any:
        upload = self.files.get(str(params.get("file_id") or ""))
        if upload is None:
            raise bad_request("invalid file_id")
        if upload.size > DOWNLOAD_LIMIT:
            raise bad_request("file is too big")
        return {
            "file_id": upload.file_id,
            "file_unique_id": upload.file_unique_id,
            "file_size": upload.size,
            "file_path": upload.file_path,
        }

    def file_by_path(self, path: str) -> UploadedFile | None:
        """The file served at ``path`` under ``base_file_url``."""
        return self._files_by_unique.get(path.split("/", 1)[-1].split("_", 1)[0])
