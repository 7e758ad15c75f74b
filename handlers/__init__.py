"""Business logic as plain async functions over injected ports."""
