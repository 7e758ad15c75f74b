"""SQLModel tables, queries and migrations."""
