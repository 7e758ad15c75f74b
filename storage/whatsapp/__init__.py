"""WhatsApp's own tables and queries: delivery ids seen, messages sent and their statuses."""
