"""Opt-in: linking a chat to a customer, and moving a link to another account."""
