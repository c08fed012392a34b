"""`shanzhi demo [--scale small|full] [--seed N] [--reset]`: build the deterministic demo county."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from shanzhi.demo.generator import DEMO_LOGINS, DEMO_PASSWORD, USERNAME_SCHEME, build_demo, demo_logins
from shanzhi.demo.reset import DemoError

_NAMED = "；".join(f"{x['username']}＝{x['who']}" for x in DEMO_LOGINS)


class Command(BaseCommand):
    help = (
        "生成演示县（嘉善县：9个镇街、村社、网格、微网格、户籍与居民、岗位与账号），同一种子生成同一个县。"
        "small 约1.6万人（一分钟内），full 约80万人（数分钟）。数据库非空时拒绝运行，除非加 --reset。"
        f"演示账号密码均为 {DEMO_PASSWORD}。固定账号：{_NAMED}。其余账号：{USERNAME_SCHEME}。"
        "先执行数据库迁移（与 serve 相同）。--logins 只重新列出演示登录。"
        "Build the deterministic demo county (migrating first); refuses a non-empty database unless --reset."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=["small", "full"], default="small",
                            help="small（约1/50，默认）或 full（嘉善实际规模）")
        parser.add_argument("--seed", type=int, default=1, help="随机种子，相同种子生成相同的县（默认1）")
        parser.add_argument("--reset", action="store_true",
                            help="先清空全部网格、人员、账号与审计记录，再生成")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")
        parser.add_argument("--no-cases", action="store_true", help="不生成一年的诉求数据（默认生成，full 约每天300件）")
        parser.add_argument("--no-migrate", action="store_true", help="不先执行数据库迁移（默认先迁移）")
        parser.add_argument("--logins", action="store_true", help="不生成，只列出已有演示县的登录账号")

    def handle(self, *args, scale: str, seed: int, reset: bool, no_progress: bool, no_cases: bool = False,
               no_migrate: bool = False, logins: bool = False, **opts) -> None:
        if not no_migrate:  # a new data dir: make the tables first, as `serve` does
            call_command("migrate", interactive=False, verbosity=0)
        if logins:
            self._logins(demo_logins())
            return
        try:
            summary = build_demo(scale=scale, seed=seed, progress=not no_progress and opts["verbosity"] > 0,
                                 reset=reset, cases=not no_cases)
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        out = self.stdout
        out.write(self.style.SUCCESS(
            f"演示县已生成（{scale}，种子{seed}，用时{summary['seconds']}秒）："
            f"{summary['towns']}个镇街、{summary['villages']}个村社、{summary['grids']}个网格、"
            f"{summary['compounds']}个小区、{summary['micro_grids']}个微网格；"
            f"{summary['households']:,}户、{summary['residents']:,}人（流动人口{summary['floating']:,}）；"
            f"党员中心户{summary['central_households']:,}个、进村报到{summary['cadre_registrations']:,}人；"
            f"账号{summary['users']:,}个；近一年诉求{summary.get('cases', 0):,}件；"
            f"议事组织{summary.get('councils', 0):,}个、议题{summary.get('council_topics', 0):,}件、"
            f"会议{summary.get('council_meetings', 0):,}次；红榜{summary.get('honour_roll', 0):,}人；"
            f"法律咨询{summary.get('legal_questions', 0):,}件；志愿者{summary.get('volunteers', 0):,}人、"
            f"服务需求{summary.get('service_requests', 0):,}件、积分流水{summary.get('ledger_entries', 0):,}条；"
            f"换届选举{summary.get('elections', 0):,}个村社、选民{summary.get('voters', 0):,}人。"))
        out.write("")
        self._logins(summary["logins"])

    def _logins(self, logins: list[dict]) -> None:
        out = self.stdout
        out.write(f"演示登录（工作人员密码均为 {DEMO_PASSWORD}）：")
        for x in logins:
            out.write(f"  {x['username']:<14} {x['who']}")
        out.write(f"  其余账号：{USERNAME_SCHEME}")
        out.write("  居民用手机号登录，验证码见数据目录下的 sms-outbox.log。")
