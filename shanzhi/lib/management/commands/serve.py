"""Run the production server (gunicorn, threads) after applying migrations."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "运行生产级 Web 服务（gunicorn）。Serve Shanzhi with gunicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--no-migrate", action="store_true", help="do not apply migrations first")

    def handle(self, *args, host: str, port: int, workers: int, threads: int, no_migrate: bool, **opts):
        from gunicorn.app.base import BaseApplication

        from shanzhi.wsgi import application

        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=0)

        class App(BaseApplication):
            def load_config(self):
                self.cfg.set("bind", f"{host}:{port}")
                self.cfg.set("workers", workers)
                self.cfg.set("threads", threads)
                self.cfg.set("worker_class", "gthread")
                self.cfg.set("accesslog", "-")
                self.cfg.set("timeout", 60)

            def load(self):
                return application

        self.stdout.write(f"善治 Shanzhi: http://{host}:{port}/  (Ctrl+C 停止)")
        App().run()
