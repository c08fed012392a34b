"""Appoint a staff user to a role on a unit (a post with dates)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shanzhi.lib.errors import DomainError
from shanzhi.org.management.commands._common import actor_from
from shanzhi.org.models import Department, OrgUnit, Role
from shanzhi.org.services import post_appoint


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"日期“{value}”格式错误，应为 YYYY-MM-DD") from exc


class Command(BaseCommand):
    help = ("任命工作人员到某单位的岗位。 Appoint a staff user to a role on a unit. Roles: "
            + ", ".join(Role.values))

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="the staff user to appoint")
        parser.add_argument("unit", help="unit code")
        parser.add_argument("role", choices=Role.values)
        parser.add_argument("--start", help="first day, YYYY-MM-DD (default today)")
        parser.add_argument("--end", help="last day, YYYY-MM-DD (default open-ended)")
        parser.add_argument("--department", help="department code (department_staff)")
        parser.add_argument("--as", dest="acting", help="act as this staff user (their scope applies)")

    def handle(self, *args, username: str, unit: str, role: str, start: str | None, end: str | None,
               department: str | None, acting: str | None, **opts) -> None:
        user = actor_from(username)
        actor = actor_from(acting)
        target = OrgUnit.objects.filter(code=unit, is_active=True).first()
        if target is None:
            raise CommandError(f"未找到单位“{unit}”")
        dept = None
        if department:
            dept = Department.objects.filter(code=department).first()
            if dept is None:
                raise CommandError(f"未找到部门“{department}”")
        try:
            post = post_appoint(actor=actor, unit=target, role=role, user=user, department=dept,
                                start_date=_date(start), end_date=_date(end))
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        until = f"至{post.end_date}" if post.end_date else "起"
        self.stdout.write(f"已任命：{post.holder_name} 任 {target.name}（{target.code}）"
                          f"{Role(role).label}，{post.start_date}{until}")
