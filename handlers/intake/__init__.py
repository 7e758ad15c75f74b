"""Purchase intake: purchases from the API and CSV imports, and what a batch of them changes."""
