"""One worker process of the chaos test: ``python -m tests.chaos_worker CONFIG_JSON SCHEMA LOG``.

It is what ``mentorbot run`` runs (:meth:`Mentorbot.serve`: migrations, web server with the
Telegram webhook, scheduler, outbox), on a PostgreSQL schema of the test's own.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import signal
import sys

from bot.app import Mentorbot
from bot.config import Config


def main() -> None:
    """Run one worker until it is killed."""
    config_json, schema, log_path = sys.argv[1:4]
    logging.basicConfig(
        filename=log_path,
        level=logging.INFO,
        format="%(asctime)s %(process)d %(levelname)s %(name)s %(message)s",
    )
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    if os.environ.get("MENTORBOT_CHAOS_SLOTS"):  # each send's slot and departure, into the log
        logging.getLogger("bot.channels.send_pacing").setLevel(logging.DEBUG)
        logging.getLogger("bot.channels.aiohttp_request").setLevel(logging.DEBUG)
    config = Config.model_validate(json.loads(config_json))
    asyncio.run(serve(Mentorbot(config, db_schema=schema)))


async def serve(bot: Mentorbot) -> None:
    """Serve; SIGUSR1 logs what every task is waiting on (the test asks before it ends)."""
    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, _dump_tasks)
    await bot.serve()


def _dump_tasks() -> None:
    out = io.StringIO()
    for task in asyncio.all_tasks():
        task.print_stack(limit=8, file=out)
    logging.getLogger("chaos").info("tasks:\n%s", out.getvalue())


if __name__ == "__main__":
    main()
