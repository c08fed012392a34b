"""shanzhi import_people FILE [--all-or-nothing] [--as USERNAME] [--errors-csv OUT]."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from shanzhi.lib.errors import DomainError
from shanzhi.people.importing import import_people

from ._actor import REFUSED, actor_for

REJECTED = 1  # exit code: some rows were rejected (the good households may have been imported)


class Command(BaseCommand):
    help = ("从 CSV/XLSX 导入户和居民；退出码 0 全部导入，1 有行被拒绝，2 整个文件被拒绝。"
            "Import households and residents from CSV or XLSX.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV（UTF-8 或 GBK）或 XLSX 文件")
        parser.add_argument("--all-or-nothing", action="store_true",
                            help="任一行有错误则不导入任何数据")
        parser.add_argument("--as", dest="as_user", metavar="USERNAME",
                            help="以该用户身份导入（按其权限范围）；不填则为运维人员，全县范围")
        parser.add_argument("--errors-csv", metavar="OUT", help="把被拒绝的行及错误原因写入此 CSV 文件")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, file: str, all_or_nothing: bool, as_user: str | None, errors_csv: str | None,
               no_progress: bool, **opts) -> None:
        actor = actor_for(as_user)
        bars: dict[str, tqdm] = {}

        def progress(stage: str, done: int, total: int) -> None:
            bar = bars.get(stage)
            if bar is None:
                for other in bars.values():
                    other.close()  # one bar at a time: stages follow each other
                bar = bars[stage] = tqdm(total=total, desc=stage, unit="行", file=sys.stderr,
                                         disable=no_progress, leave=True)
            bar.update(done - bar.n)

        try:
            report = import_people(actor=actor, path_or_file=file, all_or_nothing=all_or_nothing,
                                   progress=progress, filename=Path(file).name)
        except DomainError as exc:
            raise CommandError(f"文件未导入：{exc}", returncode=REFUSED) from exc
        finally:
            for bar in bars.values():
                bar.close()

        self.stdout.write(report.summary())
        if report.ignored_columns:
            self.stdout.write(f"已忽略的列：{'、'.join(report.ignored_columns)}")
        for error in report.errors:
            self.stdout.write(str(error))
        if errors_csv:
            Path(errors_csv).write_bytes(report.errors_csv())
            self.stdout.write(f"被拒绝的行已写入 {errors_csv}（{report.rejected_rows}行）")
        if report.errors:
            raise CommandError(f"{report.rejected_rows}行被拒绝", returncode=REJECTED)
