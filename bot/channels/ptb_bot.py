"""The bot's python-telegram-bot ``ExtBot``: polling that survives malformed updates, and sends
whose results are read as Telegram's JSON instead of parsed into PTB objects.

Both go through PTB's public ``Bot.do_api_request(endpoint, api_kwargs, return_type=None)``,
which returns the raw result. PTB warns (a ``PTBUserWarning``, "Please use 'Bot.sendMessage'
instead of 'Bot.do_api_request("sendMessage", ...)'") when the endpoint is one it has a method
for. :func:`quiet_raw_calls` ignores exactly that warning for exactly the endpoints called
here. It is a process-wide filter rather than ``warnings.catch_warnings()`` around each call:
that context manager swaps the module's filter list on entry and puts the saved one back on
exit, so with sends awaited concurrently (32 at once) an exit restores a list another task has
changed meanwhile. tests/bot/channels/test_ptb_bot.py fails when PTB changes that warning.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

from telegram import Update
from telegram.ext import ExtBot
from telegram.warnings import PTBUserWarning

log = logging.getLogger(__name__)

RAW_ENDPOINTS = ("sendMessage", "editMessageText", "getUpdates")
"""The Bot API methods the bot calls through ``do_api_request`` (results read as JSON)."""

RAW_CALL_WARNING = (
    r"Please use 'Bot\.(" + "|".join(RAW_ENDPOINTS) + r")' instead of 'Bot\.do_api_request\("
)
"""What PTB's warning for a ``do_api_request`` on one of :data:`RAW_ENDPOINTS` starts with."""


def quiet_raw_calls() -> None:
    """Ignore PTB's "use Bot.<method> instead" warning for :data:`RAW_ENDPOINTS` only (the
    bot calls them raw on purpose: see :meth:`TolerantBot.post_unparsed`). Calling it again
    does not add a second filter."""
    warnings.filterwarnings("ignore", message=RAW_CALL_WARNING, category=PTBUserWarning)


class TolerantBot(ExtBot[None]):
    """An ExtBot whose polling survives malformed updates, with :meth:`post_unparsed` for the
    calls whose results the bot reads little of.

    PTB parses a whole getUpdates batch at once; one unreadable update makes the batch fail and,
    as the offset never moves on, polling would fetch the same batch forever. Here the batch is
    fetched again and parsed one update at a time; unreadable ones are logged and skipped.
    """

    async def post_unparsed(self, method: str, data: dict[str, Any]) -> Any:
        """Call Bot API ``method`` with ``data`` and return its result as Telegram's JSON.

        It takes the path PTB's own methods take (defaults, the rate limiter, the transport,
        Telegram's errors as PTB's exceptions); only the parsing of the result is left out.
        Parsing the ``Message`` a send or edit returns costs PTB about 0.3 ms of CPU (some
        hundred attribute sets), a tenth of the CPU an answer costs, for the one ``message_id`` the
        bot keeps. ``data`` holds JSON-ready values (a keyboard as a dict); ``method`` is one
        of :data:`RAW_ENDPOINTS`.
        """
        return await self.do_api_request(method, api_kwargs=data, return_type=None)

    async def initialize(self) -> None:
        """PTB's start-up of the bot (getMe, the transports, the rate limiter), after
        :func:`quiet_raw_calls`."""
        quiet_raw_calls()
        await super().initialize()

    async def get_updates(
        self, offset: int | None = None, *args: Any, **kwargs: Any
    ) -> tuple[Update, ...]:
        """getUpdates, dropping updates that cannot be parsed."""
        try:
            return await super().get_updates(offset, *args, **kwargs)
        except (KeyError, TypeError, ValueError, AttributeError):
            raw = await self.do_api_request(
                "getUpdates", api_kwargs={"offset": offset, "timeout": 0}, return_type=None
            )
            updates = []
            for item in raw if isinstance(raw, list) else []:
                try:
                    parsed = Update.de_json(item, self)
                except Exception as exc:
                    log.warning(
                        "dropped an unreadable update %r: %s",
                        str(item.get("update_id") if isinstance(item, dict) else "?"),
                        exc,
                    )
                    parsed = None
                if (
                    parsed is None
                    and isinstance(item, dict)
                    and isinstance(item.get("update_id"), int)
                ):
                    parsed = Update(update_id=item["update_id"])  # keeps the offset moving
                if parsed is not None:
                    updates.append(parsed)
            return tuple(updates)
