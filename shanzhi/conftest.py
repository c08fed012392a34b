"""Shared fixtures: the small county with its personas (see shanzhi.lib.testing)."""

from __future__ import annotations

import pytest

from shanzhi.lib.testing import County, build_county


@pytest.fixture(scope="session", autouse=True)
def _static_collected():
    """Pages name their CSS and scripts by hashed names from the collected manifest, as in production.

    Collected once per set of sources into a folder of the system temp dir named by their digest
    (seconds the first time, nothing after), and STATIC_ROOT points there for the whole session.
    """
    import os
    import shutil
    import tempfile
    from pathlib import Path

    from django.test.utils import override_settings

    from shanzhi.lib import staticbuild

    digest = staticbuild.sources_digest()
    root = Path(tempfile.gettempdir()) / f"shanzhi-static-{digest[:16]}"
    if not staticbuild.is_current(root, digest):
        fresh = root.with_name(f"{root.name}.{os.getpid()}")
        staticbuild.ensure_collected(fresh, digest=digest)
        try:
            fresh.rename(root)
        except OSError:  # another session made it meanwhile (or a stale one is there): use ours
            shutil.rmtree(root, ignore_errors=True)
            try:
                fresh.rename(root)
            except OSError:
                shutil.rmtree(fresh, ignore_errors=True)
    with override_settings(STATIC_ROOT=root):
        yield root


@pytest.fixture(autouse=True)
def _fast_and_quiet(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SHANZHI = {**settings.SHANZHI, "SMS_BACKEND": "shanzhi.accounts.sms.MemoryBackend",
                        "SMS_OUTBOX": tmp_path / "sms.log"}
    from shanzhi.accounts.sms import MemoryBackend
    from shanzhi.org import locate

    MemoryBackend.outbox.clear()
    locate.invalidate()
    from django.core.cache import caches

    caches["throttle"].clear()  # per-address rate counters start afresh in every test
    yield
    locate.invalidate()
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def county(db) -> County:
    return build_county()


# ---- the `postgresql` marker ---------------------------------------------------------------------------
# Tests marked `postgresql` need PostgreSQL as the default database (a replica, row locks raced in
# threads); on a SQLite run they are deselected, by name in pytest's summary ("N deselected"), never
# skipped, whichever folder is run.

def pytest_configure(config):
    config.addinivalue_line("markers", "postgresql: needs PostgreSQL as the default database "
                                       "(deselected on a SQLite run by shanzhi/conftest.py)")


def pytest_collection_modifyitems(config, items):
    """The browser tests run last: they flush the database (live server, no serialized rollback), which seeds
    the content types afresh, and a serialized-rollback test after them (the PostgreSQL races of an app whose
    name sorts after `tests_browser`, like `volunteers`) would then restore duplicates. On SQLite, the tests
    marked postgresql are deselected."""
    items.sort(key=lambda item: "/tests_browser/" in str(item.path))  # stable: the rest keep their order
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    dropped = [item for item in items if item.get_closest_marker("postgresql")]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if not item.get_closest_marker("postgresql")]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test here, put the seeded rows back (categories, care tags, content types...).

    Django empties the database after a transactional test and restores the serialized seed rows only at
    the start of the next test asking for them (serialized_rollback); a later transactional test elsewhere
    that does not ask (or a test run after it) would find no categories. So they are restored at once."""
    result = yield
    marker = item.get_closest_marker("django_db")
    # The session's last test: its teardown has dropped the test database already.
    if nextitem is not None and marker and marker.kwargs.get("serialized_rollback"):
        from django.db import connections
        from pytest_django.plugin import blocking_manager_key

        conn = connections["default"]
        contents = getattr(conn, "_test_serialized_contents", None)
        if contents:
            with item.config.stash[blocking_manager_key].unblock():
                conn.creation.deserialize_db_from_string(contents)
    return result
