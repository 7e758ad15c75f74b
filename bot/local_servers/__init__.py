"""Local stand-ins for the Telegram Bot API and the Slack Web API, for the demo, tests and benchmarks."""
