"""Create a county administrator: a staff account plus a county_admin post on the county unit."""

from __future__ import annotations

import getpass

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from shanzhi.accounts.services import user_create_staff
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError
from shanzhi.org.models import OrgUnit, Role
from shanzhi.org.services import post_appoint


class Command(BaseCommand):
    help = "Create a staff user and appoint them county admin of a county unit (through the services)."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--unit", required=True, help="code of the county unit, e.g. 330421")
        parser.add_argument("--password", help="prompted for when absent (recommended)")
        parser.add_argument("--name", default="", help="display name")
        parser.add_argument("--no-admin-site", action="store_true",
                            help="do not open the Django admin (/admin/) to this user")

    def handle(self, *args, **opts):
        unit = OrgUnit.objects.filter(code=opts["unit"].strip()).first()
        if unit is None:
            raise CommandError(f"找不到编码为“{opts['unit']}”的单位")
        password = opts["password"]
        if password is None:
            password = getpass.getpass("密码 Password: ")
            if password != getpass.getpass("再次输入 Password (again): "):
                raise CommandError("两次输入的密码不一致")
        try:
            with transaction.atomic():
                user = user_create_staff(actor=None, username=opts["username"], password=password,
                                         display_name=opts["name"], is_staff=not opts["no_admin_site"])
                post_appoint(actor=None, unit=unit, role=Role.COUNTY_ADMIN, user=user, start_date=clock.today())
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"已创建县级管理员 {user.username}（{unit.name} {unit.code}）"))
