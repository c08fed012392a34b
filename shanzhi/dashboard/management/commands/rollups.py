"""Rebuild the dashboard's roll-ups from scratch (--rebuild) or compare them with a fresh computation
(--check, non-zero exit naming the first differing key)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shanzhi.dashboard.rollups import rollups_check, rollups_rebuild


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--since 须为日期，如 2026-01-01 (--since must be a date like 2026-01-01): {text!r}") \
            from exc


class Command(BaseCommand):
    help = ("重建或核对指挥中心的日/月汇总。Rebuild the dashboard's daily and monthly roll-ups from the cases "
            "and disputes (--rebuild), or check them against a fresh computation (--check).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="recompute every roll-up in one transaction")
        parser.add_argument("--since", metavar="YYYY-MM-DD", default=None,
                            help="with --rebuild: only from the first day of this date's month on")
        parser.add_argument("--check", action="store_true",
                            help="compare the stored roll-ups with a fresh computation; exit 1 on a difference")

    def handle(self, *args, rebuild: bool, since: str | None, check: bool, **opts) -> None:
        if rebuild == check:
            raise CommandError("请指定 --rebuild 或 --check 之一 (give exactly one of --rebuild, --check)")
        if since and not rebuild:
            raise CommandError("--since 只能与 --rebuild 一起用 (--since goes with --rebuild)")
        if rebuild:
            done = rollups_rebuild(since=_date(since) if since else None)
            scope = f"since {_date(since).replace(day=1)}" if since else "all days"
            self.stdout.write(f"rebuilt roll-ups ({scope}) in {done['seconds']} s: {done['case_rows']} case rows, "
                              f"{done['dispute_rows']} dispute rows, {done['duration_rows']} duration rows")
            return
        found = rollups_check()
        if found:
            self.stderr.write(f"roll-ups differ: {found}")
            raise SystemExit(1)
        self.stdout.write("roll-ups match a fresh computation")
