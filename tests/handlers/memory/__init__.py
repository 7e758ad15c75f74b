"""The handlers' query ports (``handlers/repositories/``) in memory, for rule tests that run in
milliseconds. ``MemoryRepositories.on(MemoryTables())`` hands out one implementation per port,
as :class:`storage.repositories.Repositories` does on a database; the contract tests in this
package run the same scenarios on memory, SQLite and PostgreSQL to keep them alike."""
