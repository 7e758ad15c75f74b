"""Mentorbot offline: local stand-ins for the Telegram Bot API and the Slack Web API (the real
client libraries are pointed at them by the demo, the tests and the benchmarks), and the demo
that plays a shop's customers and support staff against them. Not part of a running bot."""
