"""Export org units (the county or a subtree) as a GeoJSON FeatureCollection."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shanzhi.lib.errors import DomainError
from shanzhi.org.geojson_io import export_feature_collection
from shanzhi.org.management.commands._common import actor_from


class Command(BaseCommand):
    help = ("把网格单元导出为 GeoJSON（WGS84），含编码、名称、层级、上级编码和汇总数。"
            " Export org units as a GeoJSON FeatureCollection with codes, levels and rolled-up counts.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", help="output file, or - for standard output")
        parser.add_argument("--unit", dest="unit_code", help="code of the subtree's root (default: everything)")
        parser.add_argument("--level", help="only this level (county/town/village/grid/compound/microgrid)")
        parser.add_argument("--as", dest="username", help="only what this staff user may see")

    def handle(self, *args, out: str, unit_code: str | None, level: str | None, username: str | None,
               **opts) -> None:
        try:
            fc = export_feature_collection(user=actor_from(username), unit_code=unit_code, level=level)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        text = json.dumps(fc, ensure_ascii=False)
        if out == "-":
            self.stdout.write(text)
            return
        Path(out).write_text(text, encoding="utf-8")
        self.stdout.write(f"已导出{len(fc['features'])}个单位到 {out}")
