"""Channel adapters (Telegram, Slack) and the channel-neutral messages they convert to and from."""
