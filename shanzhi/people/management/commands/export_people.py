"""shanzhi export_people OUT.csv|OUT.xlsx [--unit CODE] [--as USERNAME] [--masked]."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shanzhi.lib.errors import DomainError
from shanzhi.people.exporting import FORMATS, export_people_file

from ._actor import REFUSED, actor_for


class Command(BaseCommand):
    help = ("按导入格式导出在住居民（CSV 为带 BOM 的 UTF-8；XLSX 中身份证号、电话为文本）；完整导出会记入审计日志。"
            "Export active residents in the import format.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", help="输出文件，扩展名 .csv 或 .xlsx")
        parser.add_argument("--unit", metavar="CODE", help="只导出该单位（编码）及其下级")
        parser.add_argument("--as", dest="as_user", metavar="USERNAME",
                            help="以该用户身份导出（按其权限范围）；不填则为运维人员，全县范围")
        parser.add_argument("--masked", action="store_true", help="身份证号和手机号脱敏导出")

    def handle(self, *args, out: str, unit: str | None, as_user: str | None, masked: bool, **opts) -> None:
        path = Path(out)
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in FORMATS:
            raise CommandError(f"输出文件的扩展名应为 .csv 或 .xlsx：{out}", returncode=REFUSED)
        actor = actor_for(as_user)
        try:
            export = export_people_file(actor=actor, unit=unit, fmt=fmt, masked=masked)
        except DomainError as exc:
            raise CommandError(f"未导出：{exc}", returncode=REFUSED) from exc
        path.write_bytes(export.content)
        kind = "（脱敏）" if masked else ""
        self.stdout.write(f"已导出{export.households}户、{export.residents}人{kind}到 {out}")
