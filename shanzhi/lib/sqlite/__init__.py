"""Django's SQLite backend, creating the database file owner-only (and its data directory) on first connect."""
