"""`shanzhi createadmin` and `shanzhi unlock`, and the unlock service behind them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.utils import timezone

from shanzhi.accounts import scopes
from shanzhi.accounts.models import User
from shanzhi.accounts.services import LoginError, staff_authenticate, user_unlock
from shanzhi.audit.models import AuditEntry
from shanzhi.lib.errors import NotFound
from shanzhi.lib.testing import PASSWORD
from shanzhi.org.models import Post, Role

STRONG = "Grid-governance-2026!"
T0 = timezone.make_aware(dt.datetime(2026, 3, 2, 9, 0))


def attempt(username: str, password: str):
    """A password check as the log-in page makes it, from one client address."""
    return staff_authenticate(username=username, password=password,
                              request=RequestFactory().post("/accounts/login/", REMOTE_ADDR="10.0.0.9"))


def lock(username: str) -> None:
    for _ in range(settings.SHANZHI["LOGIN_MAX_FAILURES"]):
        with pytest.raises(LoginError):
            attempt(username, "wrong-password")


def locked(username: str) -> bool:
    try:
        attempt(username, PASSWORD)
    except LoginError:
        return True
    return False


# createadmin -------------------------------------------------------------------------------

def test_createadmin_makes_a_county_admin(county):
    call_command("createadmin", "--username", "chief", "--unit", "330421", "--password", STRONG)
    user = User.objects.get(username="chief")
    assert user.check_password(STRONG)
    assert user.is_staff and not user.is_superuser
    assert Post.objects.filter(user=user, unit=county.county, role=Role.COUNTY_ADMIN).exists()
    assert scopes.may(user, "audit.view", county.county)
    actions = set(AuditEntry.objects.filter(object_id__in=[str(user.pk)], object_type="accounts.user")
                  .values_list("action", flat=True))
    assert actions == {"accounts.user.create"}
    assert AuditEntry.objects.filter(action="org.post.appoint", object_repr__contains="chief").exists()
    assert staff_authenticate(username="chief", password=STRONG) == user


def test_createadmin_prompts_for_the_password(county, monkeypatch):
    answers = iter([STRONG, STRONG])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    call_command("createadmin", "--username", "chief", "--unit", "330421")
    assert User.objects.get(username="chief").check_password(STRONG)


def test_createadmin_refuses_mismatched_prompts(county, monkeypatch):
    answers = iter([STRONG, STRONG + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(CommandError, match="不一致"):
        call_command("createadmin", "--username", "chief", "--unit", "330421")
    assert not User.objects.filter(username="chief").exists()


def test_createadmin_on_a_town_writes_nothing(county):
    before = AuditEntry.objects.count()
    with pytest.raises(CommandError, match="县级管理员"):
        call_command("createadmin", "--username", "chief", "--unit", county.town.code, "--password", STRONG)
    assert not User.objects.filter(username="chief").exists()
    assert AuditEntry.objects.count() == before


def test_createadmin_names_an_unknown_unit(county):
    with pytest.raises(CommandError, match="999999"):
        call_command("createadmin", "--username", "chief", "--unit", "999999", "--password", STRONG)


def test_createadmin_refuses_a_weak_password(county):
    with pytest.raises(CommandError, match="密码强度不足"):
        call_command("createadmin", "--username", "chief", "--unit", "330421", "--password", "123456")
    assert not User.objects.filter(username="chief").exists()


def test_createadmin_refuses_a_taken_username(county):
    with pytest.raises(CommandError, match="已存在"):
        call_command("createadmin", "--username", "worker_a", "--unit", "330421", "--password", STRONG)


# unlock ------------------------------------------------------------------------------------

def test_unlock_command_clears_a_lock_out(county, capsys):
    lock("worker_a")
    assert locked("worker_a")
    call_command("unlock", "worker_a")
    assert not locked("worker_a")
    assert "已解除锁定" in capsys.readouterr().out
    entry = AuditEntry.objects.get(action="accounts.user.unlock")
    assert entry.actor is None and entry.actor_label == "系统"
    assert entry.object_id == str(county.worker_a.pk)
    assert entry.before == {"failed_logins": settings.SHANZHI["LOGIN_MAX_FAILURES"]}
    assert entry.after == {"failed_logins": 0}


def test_unlock_command_on_an_account_without_failures_says_so(county, capsys):
    call_command("unlock", "worker_a")
    assert "无需解锁" in capsys.readouterr().out


def test_unlock_command_names_an_unknown_user(county):
    with pytest.raises(CommandError, match="nobody"):
        call_command("unlock", "nobody")


def test_the_county_admin_may_unlock_a_grid_worker(county):
    lock("worker_a")
    user_unlock(actor=county.admin, user=county.worker_a)
    assert not locked("worker_a")


def test_a_grid_worker_may_not_unlock_another(county):
    lock("worker_a")
    with pytest.raises(NotFound):
        user_unlock(actor=county.worker_b, user=county.worker_a)
    assert locked("worker_a")
    assert not AuditEntry.objects.filter(action="accounts.user.unlock").exists()


def test_town_staff_may_not_unlock_someone_in_another_town(county):
    lock("worker_c")
    with pytest.raises(NotFound):
        user_unlock(actor=county.town_staff, user=county.worker_c)
    user_unlock(actor=county.town_staff, user=county.worker_a)  # in their town: fine
