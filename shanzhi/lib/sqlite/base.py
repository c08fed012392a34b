"""Django's SQLite backend, except that a missing database file is created owner-only (0600) in an
owner-only directory (0700) before SQLite opens it; SQLite gives its -wal and -shm files the same mode.
Nothing is created until the first connection, so read-only commands leave no files behind."""

from __future__ import annotations

from pathlib import Path

from django.db.backends.sqlite3 import base

from shanzhi.lib.files import touch_private


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        name = str(conn_params.get("database", ""))
        if name and name != ":memory:" and not name.startswith("file:"):
            touch_private(Path(name))
        return super().get_new_connection(conn_params)
