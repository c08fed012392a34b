"""Clear a staff account's failed log-ins from every address (django-axes; audited)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from shanzhi.accounts.models import User
from shanzhi.accounts.services import user_unlock


class Command(BaseCommand):
    help = "Clear an account's failed log-ins (and so its lock-out) from every address."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, **opts):
        user = User.objects.filter(username=opts["username"]).first()
        if user is None:
            raise CommandError(f"找不到用户“{opts['username']}”")
        failures = user_unlock(actor=None, user=user)
        state = f"已清除 {failures} 次失败登录，已解除锁定" if failures else "没有失败登录记录，无需解锁"
        self.stdout.write(self.style.SUCCESS(f"{user.username}：{state}"))
