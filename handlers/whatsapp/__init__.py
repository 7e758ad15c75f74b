"""WhatsApp as a customer channel: keywords, the 24-hour window, opening check-ins with templates,
linking by phone number, delivery statuses."""
