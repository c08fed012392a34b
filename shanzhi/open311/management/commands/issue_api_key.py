"""Issue an Open311 API key; print only the key (so it can be piped into a secret store)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from shanzhi.lib.errors import DomainError
from shanzhi.open311.services import apikey_issue


class Command(BaseCommand):
    help = "Issue an API key for an Open311 client and print it (only the key, once)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="the client's name, e.g. 12345 hotline")

    def handle(self, *args, **opts):
        try:
            _key, plain = apikey_issue(actor=None, name=opts["name"])
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(plain)
