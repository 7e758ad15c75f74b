"""A customer edited a message: when it held an answer's words, the answer follows the edit.

The new words replace the stored ones and are scored again (a segment or a case may follow);
the words they replace stay in the audit log. An edit of anything else (a command, a message
that was not an answer) changes nothing and gets no reply: Telegram users edit typos all the
time and expect no answer to that.
"""

from __future__ import annotations

import logging

from handlers.deps import Deps
from handlers.messages import IncomingUpdate

log = logging.getLogger(__name__)


async def handle_edit(deps: Deps, update: IncomingUpdate) -> None:
    """Revise and re-score the answer an edited message held; ignore any other edit."""
    if update.message_id is None:
        return
    customer = await deps.customers.customer_for_chat(deps.channel_name, update.chat_id)
    if customer is None:
        return
    answer = await deps.answers.answer_for_message(customer.id or 0, update.message_id)
    text = update.text.strip()[: deps.rules.max_text_length]
    if answer is None or answer.text is None or not text or text == answer.text:
        log.debug(
            "chat %s edited message %s: no answer to revise", update.chat_id, update.message_id
        )
        return
    await deps.answers.revise_answer_text(answer.id or 0, text, answer.text, deps.clock())
    log.info("answer %s revised by the customer's edit; scoring it again", answer.id)
    answer.text = text
    try:
        await deps.pipeline.process(answer)
    except Exception:
        log.exception("scoring the edited answer %s failed; it is kept unscored", answer.id)
