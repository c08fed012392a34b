"""Import org units from a GeoJSON FeatureCollection, all or nothing."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shanzhi.org.geojson_io import import_feature_collection
from shanzhi.org.management.commands._common import actor_from


class Command(BaseCommand):
    help = ("从 GeoJSON 导入网格单元（新建、改名、更新边界），有任何错误则全部不写入。"
            " Import org units from a GeoJSON FeatureCollection; any bad feature and nothing is written.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="GeoJSON FeatureCollection (WGS84)")
        parser.add_argument("--as", dest="username", help="act as this staff user (their scope applies)")

    def handle(self, *args, file: str, username: str | None, **opts) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        actor = actor_from(username)
        report = import_feature_collection(path.read_bytes(), actor=actor)
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(str(problem))
            raise CommandError(report.summary())
        self.stdout.write(report.summary())
