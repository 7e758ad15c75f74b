"""Check-ins, their answers, and the conversation state per chat."""
