"""Clear a staff account's login lock-out (audited)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from shanzhi.accounts.models import User
from shanzhi.accounts.services import user_unlock
from shanzhi.lib import clock


class Command(BaseCommand):
    help = "Clear the lock-out and failure count of an account after too many failed logins."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, **opts):
        user = User.objects.filter(username=opts["username"]).first()
        if user is None:
            raise CommandError(f"找不到用户“{opts['username']}”")
        was_locked = user.locked_until is not None and user.locked_until > clock.now()
        user_unlock(actor=None, user=user)
        state = "已解除锁定" if was_locked else "未被锁定，已清零失败次数"
        self.stdout.write(self.style.SUCCESS(f"{user.username}：{state}"))
