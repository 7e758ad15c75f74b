"""One worker process of the chaos test: ``python -m tests.chaos_worker CONFIG_JSON SCHEMA LOG``.

It is what ``mentorbot run`` runs (:meth:`Mentorbot.serve`: migrations, web server with the
Telegram webhook, scheduler, outbox), on a PostgreSQL schema of the test's own.
"""

from __future__ import annotations

import asyncio
import json
import logging
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
    config = Config.model_validate(json.loads(config_json))
    asyncio.run(Mentorbot(config, db_schema=schema).serve())


if __name__ == "__main__":
    main()
