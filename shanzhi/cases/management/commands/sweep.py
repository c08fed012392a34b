"""Run the deadline sweep once (print what it did) or every N seconds with --loop."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from shanzhi.lib.sweeps import sweep_all as sweep


class Command(BaseCommand):
    help = "超期预警与自动上报（幂等）。Warn and escalate overdue cases; safe to run any number of times."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", type=float, metavar="SECONDS", default=None,
                            help="repeat every SECONDS until stopped (Ctrl+C)")

    def handle(self, *args, loop: float | None, **opts) -> None:
        if loop is not None and loop <= 0:
            raise CommandError("--loop 的间隔必须大于 0 秒 (--loop must be a positive number of seconds)")
        try:
            while True:
                result = sweep()
                self.stdout.write(" ".join(f"{k}={v}" for k, v in result.items()))
                self.stdout.flush()
                if loop is None:
                    return
                time.sleep(loop)
                close_old_connections()  # a long-lived loop must not keep a broken or stale connection
        except KeyboardInterrupt:
            return
