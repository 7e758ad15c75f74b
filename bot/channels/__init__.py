"""Channel adapters (Telegram, Slack): they convert SDK objects to and from the channel-neutral
vocabulary the handlers own (``handlers.messages``, ``handlers.desk.messages``)."""
