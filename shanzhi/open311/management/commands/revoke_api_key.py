"""Revoke an Open311 API key by its prefix (the first 8 characters, as listed on the keys page)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from shanzhi.cases.models import ApiKey
from shanzhi.lib.errors import DomainError
from shanzhi.open311.services import PREFIX_LENGTH, apikey_revoke


class Command(BaseCommand):
    help = "Revoke an Open311 API key; requests carrying it are refused from then on."

    def add_arguments(self, parser):
        parser.add_argument("prefix", help="the key's prefix (its first 8 characters) or the whole key")

    def handle(self, *args, **opts):
        prefix = opts["prefix"].strip()[:PREFIX_LENGTH]
        if len(prefix) < PREFIX_LENGTH:
            raise CommandError(f"前缀应为{PREFIX_LENGTH}个字符")
        found = list(ApiKey.objects.filter(prefix=prefix).order_by("revoked_at", "-id")[:2])
        if not found:
            raise CommandError(f"没有前缀为“{prefix}”的密钥")
        live = [k for k in found if k.revoked_at is None]
        key = live[0] if live else found[0]
        try:
            apikey_revoke(actor=None, key=key)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"已吊销密钥 {key.prefix}…（{key.name}）")
