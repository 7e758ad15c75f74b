"""Slack's mrkdwn: the desk's markup (mentions, bold, quotes) as Slack writes it."""

from __future__ import annotations


class SlackMarkup:
    """:class:`handlers.desk.messages.DeskMarkup` in Slack's mrkdwn."""

    def mention(self, staff_id: str) -> str:
        """``<@U123>``: Slack shows the member's name and notifies them."""
        return f"<@{staff_id}>"

    def group_mention(self, group_id: str) -> str:
        """``<!subteam^S123>``: a user group, every member notified."""
        return f"<!subteam^{group_id}>"

    def bold(self, text: str) -> str:
        """``*text*``."""
        return f"*{text}*"

    def italic(self, text: str) -> str:
        """``_text_``."""
        return f"_{text}_"

    def code(self, text: str) -> str:
        """```text```: inline code."""
        return f"`{text}`"

    def quote(self, text: str) -> str:
        """Each line of ``text`` behind ``> ``."""
        return "\n".join(f"> {line}" for line in text.splitlines())


SLACK_MARKUP = SlackMarkup()
"""The one instance the Slack desk hands to the handlers."""
