"""Run the production server (gunicorn, threads) after applying migrations, with the deadline sweep.

The sweep runs in a thread of the gunicorn master, started by the `when_ready` hook. Workers are forked
from the master, so the thread never sweeps while a fork happens and holds no database connection
between passes (a forked worker must not inherit a live connection). The sweep is idempotent, so a
separate `shanzhi sweep --loop` elsewhere does no harm.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from shanzhi.cases.sweep import SweepThread
from shanzhi.lib import staticbuild
from shanzhi.lib.files import private_dir
from shanzhi.lib.sweeps import sweep_all as sweep

log = logging.getLogger(__name__)
DEFAULT_SWEEP_INTERVAL = 60.0


def sweep_interval() -> float:
    """Seconds between sweeps, from SHANZHI_SWEEP_INTERVAL (default 60)."""
    raw = os.environ.get("SHANZHI_SWEEP_INTERVAL", "")
    if not raw.strip():
        return DEFAULT_SWEEP_INTERVAL
    try:
        value = float(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise CommandError(f"SHANZHI_SWEEP_INTERVAL 须为正数秒（当前：{raw!r}）")
    return value


class MasterSweepThread(SweepThread):
    """The sweep inside a process that forks: a pass and a fork never overlap; no connection kept."""

    def __init__(self, interval: float) -> None:
        super().__init__(interval=interval)
        self.pass_lock = threading.Lock()
        os.register_at_fork(before=self.pass_lock.acquire, after_in_parent=self.pass_lock.release,
                            after_in_child=self.pass_lock.release)

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            with self.pass_lock:
                try:
                    result = sweep()
                    if any(result.values()):
                        log.info("sweep: %s", result)
                except Exception:  # noqa: BLE001 - keep the server alive; the next pass retries
                    log.exception("deadline sweep failed")
                finally:
                    connections.close_all()


class Command(BaseCommand):
    help = ("运行生产级 Web 服务（gunicorn），并在后台定时执行超期扫描。先执行数据库迁移；数据在 SHANZHI_DATA_DIR"
            "（默认 ./data），数据库为 DATABASE_URL（默认其中的 SQLite）。Serve Shanzhi with gunicorn: migrates "
            "first, sweeps deadlines in the background.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1",
                            help="监听地址 address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)")
        parser.add_argument("--port", type=int, default=8000, help="端口 port (default 8000)")
        parser.add_argument("--workers", type=int, default=2,
                            help="gunicorn 工作进程数 worker processes (default 2; about one per CPU core)")
        parser.add_argument("--threads", type=int, default=4, help="每个进程的线程数 threads per worker (default 4)")
        parser.add_argument("--no-migrate", action="store_true",
                            help="启动前不执行数据库迁移 do not apply migrations first (default: migrate)")
        parser.add_argument("--no-sweep", action="store_true",
                            help="不在后台运行超期扫描 do not run the deadline sweep in the background (run "
                                 "`shanzhi sweep --loop N` instead; default: sweep every SHANZHI_SWEEP_INTERVAL "
                                 "seconds, default 60)")

    def handle(self, *args, host: str, port: int, workers: int, threads: int, no_migrate: bool, no_sweep: bool,
               **opts):
        from gunicorn.app.base import BaseApplication

        interval = None if no_sweep else sweep_interval()
        private_dir(settings.DATA_DIR)  # owner-only, with the static dir ready before WhiteNoise looks
        private_dir(Path(settings.STATIC_ROOT))
        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=0)
        # Hashed, compressed static files (WhiteNoise serves them cached for good); only when changed.
        if staticbuild.ensure_collected():
            self.stdout.write(f"静态文件已更新：{settings.STATIC_ROOT}")
        from shanzhi.wsgi import application  # after collecting: WhiteNoise lists STATIC_ROOT when it starts

        connections.close_all()  # workers are forked from this process: hand them no open connection

        def when_ready(server) -> None:
            if interval is not None:
                MasterSweepThread(interval).start()
                server.log.info("Deadline sweep every %s s", interval)

        class App(BaseApplication):
            def load_config(self):
                self.cfg.set("bind", f"{host}:{port}")
                self.cfg.set("workers", workers)
                self.cfg.set("threads", threads)
                self.cfg.set("worker_class", "gthread")
                self.cfg.set("accesslog", "-")
                # No query strings in the access log: search fields carry ID numbers and phones.
                self.cfg.set("logger_class", "shanzhi.lib.accesslog.AccessLogger")
                self.cfg.set("timeout", 60)
                self.cfg.set("when_ready", when_ready)

            def load(self):
                return application

        self.stdout.write(f"善治 Shanzhi: http://{host}:{port}/  (Ctrl+C 停止)")
        App().run()
