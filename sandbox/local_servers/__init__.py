"""Local stand-ins for the Telegram Bot API and the Slack Web API (demo, tests, benchmarks)."""
