"""Managers' commands in a private chat (Telegram): ``/mentor stats 30d``, ``/stats``,
``/trend product=Kettle`` ... The reply goes to the same chat; a chart goes as a photo.

Command routes plug into ``Deps.commands``; the customer's own commands (``/help``, ``/stop``)
keep their meaning, so managers ask for help with ``/mentor help``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from handlers.deps import CommandRoute, Deps
from handlers.insights.service import InsightReply, InsightsService, Requester
from handlers.messages import (
    ChannelError,
    IncomingUpdate,
    OutgoingMessage,
    OutgoingPhoto,
)

if TYPE_CHECKING:
    from handlers.ports import CustomerChannel

log = logging.getLogger(__name__)
MAIN_COMMAND = "mentor"
SHORTCUTS = ("stats", "trend", "detractors", "ambassadors", "themes", "cases", "touchpoints")
TELEGRAM_TEXT_LIMIT = 4000
# The command menu a manager's own chat shows, besides the customers' commands.
MANAGER_MENU: dict[str, list[tuple[str, str]]] = {
    "en": [
        ("mentor", "Figures: /mentor stats 30d, trend, themes ..."),
        ("stats", "NPS, CSAT, CES and response rate"),
        ("trend", "Weekly NPS chart"),
        ("detractors", "Who is unhappy, and why"),
        ("ambassadors", "Who said yes to an ask"),
        ("themes", "What customers talk about"),
        ("cases", "Support cases and response times"),
        ("touchpoints", "Figures per touchpoint"),
    ],
    "nl": [
        ("mentor", "Cijfers: /mentor stats 30d, trend, themes ..."),
        ("stats", "NPS, CSAT, CES en respons"),
        ("trend", "NPS per week, als grafiek"),
        ("detractors", "Wie ontevreden is, en waarom"),
        ("ambassadors", "Wie ja zei op een verzoek"),
        ("themes", "Waar klanten over praten"),
        ("cases", "Supportcases en reactietijden"),
        ("touchpoints", "Cijfers per contactmoment"),
    ],
}


def command_text(update: IncomingUpdate) -> str:
    """The command as the service reads it: ``/stats 30d`` -> ``stats 30d``."""
    name = update.command.lower()
    head = "" if name == MAIN_COMMAND else name
    return " ".join([head, *update.args]).strip()


async def send_reply(channel: CustomerChannel, chat_id: int, reply: InsightReply) -> None:
    """Send the text (split if very long), then the chart as a photo."""
    text = reply.text
    while text:
        cut = len(text) if len(text) <= TELEGRAM_TEXT_LIMIT else text.rfind("\n", 0, 4000)
        cut = cut if cut > 0 else TELEGRAM_TEXT_LIMIT
        await channel.send(OutgoingMessage(chat_id, text[:cut]))
        text = text[cut:].lstrip("\n")
    if reply.chart_png:
        await channel.send_photo(
            OutgoingPhoto(chat_id, reply.chart_png, reply.chart_name, "NPS per week, 95% band")
        )


def manager_commands(service: InsightsService) -> dict[str, CommandRoute]:
    """Routes for ``/mentor`` and its shortcuts (``/stats`` ...), for ``Deps.commands``."""

    async def route(deps: Deps, update: IncomingUpdate) -> None:
        requester = Requester(deps.channel_name, str(update.user_id))
        reply = await service.answer(command_text(update), requester)
        # Only ever the asker's private chat with the bot (its id is their user id): figures
        # and customers' words never go to a group, even if a group update got this far.
        chat_id = update.chat_id if update.chat_type == "private" else update.user_id
        try:
            await send_reply(deps.channel, chat_id, reply)
        except ChannelError as exc:
            log.warning("insights: could not reply in chat %s: %s", chat_id, exc)

    return {name: route for name in (MAIN_COMMAND, *SHORTCUTS)}
