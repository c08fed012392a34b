"""Proxy votes (委托投票): a voter's written entrustment to another voter of the same election (so the same
village or community), recorded with a reason, approved by the committee and published.

Rules, each refused with its message naming the field:
- grantor and proxy are both on this election's roll (not removed) and are two people; a voter of another
  village's roll is not a voter here, so "same village" holds by construction and is checked;
- where the rules say so (`Rules.proxy_close_relative_only`), the proxy is the grantor's close relative
  (`relatives`);
- a grantor has at most one entrustment (the model's one-to-one); a revoked entrustment's row is reused for a
  new one (its history is in the audit log);
- a proxy does not entrust their own vote away, and one who entrusted theirs holds no one else's;
- a proxy holds at most `Rules.proxy_limit` entrustments: counted when recorded (approved and waiting ones,
  so a proxy cannot collect more waiting ones than they could ever hold) and again when approved (approved
  ones), each time with a row lock on the proxy's voter entry, so two clerks at once cannot pass the limit;
- recording, approval and revocation only before voting opens.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q

from shanzhi.audit.services import audit_record
from shanzhi.elections import access
from shanzhi.elections.candidates import VOTED
from shanzhi.elections.models import Election, Proxy, Voter
from shanzhi.elections.relatives import are_close_relatives
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError

MAX_REASON = 200


def _bad(field_name: str, message: str, code: str | None = None) -> DomainError:
    return DomainError(message, fields={field_name: [message]}, code=code)


def _before_voting(election: Election):
    def check() -> None:
        if election.stage in VOTED or election.voting_opened_at is not None:
            raise _bad("stage", "投票已开始，不能再办理委托投票", code="wrong_stage")
    return check


def _voter(election: Election, ref, field_name: str, label: str) -> Voter:
    qs = Voter.objects.filter(removed_at__isnull=True).select_related("resident")
    if isinstance(ref, Voter):
        voter = qs.filter(pk=ref.pk).first()
    else:
        voter = qs.filter(election=election, number=(ref or "").strip()).first()
    if voter is None or voter.election_id != election.pk:
        raise _bad(field_name, f"{label}不是本村（社区）本次选举的选民，委托只能在本村（社区）选民之间进行")
    return voter


def _active() -> Q:
    return Q(revoked_at__isnull=True)


def _check_limit(election: Election, proxy: Voter, *, approved_only: bool, exclude: int | None = None) -> None:
    limit = election.round.rules.proxy_limit
    held = Proxy.objects.filter(_active(), proxy=proxy)
    if approved_only:
        held = held.filter(approved_at__isnull=False)
    if exclude:
        held = held.exclude(pk=exclude)
    if held.count() >= limit:
        raise _bad("proxy", f"每一选民接受委托投票不得超过{limit}人，{proxy.name}已接受{held.count()}人的委托",
                   code="proxy_limit")


@transaction.atomic
def proxy_record(*, actor, election: Election, grantor, proxy, reason: str,
                 now: dt.datetime | None = None) -> Proxy:
    """Record a written entrustment (grantor and proxy: Voter rows or voter-card numbers)."""
    election = Election.objects.select_for_update().select_related("round__rules", "unit").get(pk=election.pk)
    access.require_run(actor, election, state=_before_voting(election))
    now = now or clock.now()
    reason = (reason or "").strip()
    if not reason:
        raise _bad("reason", "请填写委托原因（如外出务工）")
    if len(reason) > MAX_REASON:
        raise _bad("reason", f"委托原因不能超过{MAX_REASON}字")
    giver = _voter(election, grantor, "grantor", "委托人")
    holder = _voter(election, proxy, "proxy", "受委托人")
    if giver.pk == holder.pk:
        raise _bad("proxy", "不能委托本人")
    # the lock: the proxy's voter entry, then count (the same order as approval)
    holder = Voter.objects.select_for_update().select_related("resident").get(pk=holder.pk)
    rules = election.round.rules
    if rules.proxy_close_relative_only and not are_close_relatives(giver.resident, holder.resident):
        raise _bad("proxy", "按本届选举规则，只能委托本人的近亲属（登记在同一户的家庭成员）",
                   code="not_relative")
    existing = Proxy.objects.select_for_update().filter(grantor=giver).first()
    if existing is not None and existing.revoked_at is None:
        raise _bad("grantor", f"{giver.name}已办理委托（受委托人：{existing.proxy.name}），须先撤销",
                   code="already_entrusted")
    if Proxy.objects.filter(_active(), grantor=holder).exists():
        raise _bad("proxy", f"{holder.name}本人已委托他人投票，不能接受委托")
    if Proxy.objects.filter(_active(), proxy=giver).exists():
        raise _bad("grantor", f"{giver.name}已接受他人委托，不能再委托他人")
    _check_limit(election, holder, approved_only=False)
    if existing is not None:
        before = {"proxy": existing.proxy.name, "revoked_at": existing.revoked_at.isoformat()}
        existing.proxy, existing.reason, existing.recorded_at = holder, reason, now
        existing.approved_at = existing.revoked_at = None
        existing.save()
        row = existing
    else:
        before = None
        row = Proxy.objects.create(election=election, grantor=giver, proxy=holder, reason=reason, recorded_at=now)
    audit_record(actor=actor, action="elections.proxy_record", obj=row, unit_path=election.unit.path,
                 before=before, after={"grantor": giver.name, "proxy": holder.name}, reason=reason)
    return row


def _row(proxy: Proxy) -> tuple[Election, Proxy]:
    election = (Election.objects.select_for_update().select_related("round__rules", "unit")
                .get(pk=proxy.election_id))
    Voter.objects.select_for_update().filter(pk=proxy.proxy_id).first()  # the proxy's lock, as when recorded
    return election, Proxy.objects.select_for_update().select_related("grantor", "proxy").get(pk=proxy.pk)


@transaction.atomic
def proxy_approve(*, actor, proxy: Proxy, now: dt.datetime | None = None) -> Proxy:
    """The committee approves an entrustment (then it is published), within the proxy's limit."""
    election, row = _row(proxy)

    def state() -> None:
        _before_voting(election)()
        if row.revoked_at is not None:
            raise _bad("proxy", "该委托已撤销", code="revoked")
        if row.approved_at is not None:
            raise _bad("proxy", "该委托已审核通过", code="approved")

    access.require_run(actor, election, what="该委托", state=state)
    now = now or clock.now()
    _check_limit(election, row.proxy, approved_only=True, exclude=row.pk)
    row.approved_at = now
    row.save(update_fields=["approved_at"])
    audit_record(actor=actor, action="elections.proxy_approve", obj=row, unit_path=election.unit.path,
                 after={"grantor": row.grantor.name, "proxy": row.proxy.name})
    return row


@transaction.atomic
def proxy_revoke(*, actor, proxy: Proxy, reason: str = "", now: dt.datetime | None = None) -> Proxy:
    """Revoke an entrustment (the grantor's wish, recorded by the committee) before voting."""
    election, row = _row(proxy)

    def state() -> None:
        _before_voting(election)()
        if row.revoked_at is not None:
            raise _bad("proxy", "该委托已撤销", code="revoked")

    access.require_run(actor, election, what="该委托", state=state)
    now = now or clock.now()
    row.revoked_at = now
    row.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="elections.proxy_revoke", obj=row, unit_path=election.unit.path,
                 after={"grantor": row.grantor.name, "proxy": row.proxy.name}, reason=(reason or "").strip()[:200])
    return row


def proxies_published(election: Election) -> list[Proxy]:
    """The approved entrustments in force: the published list (names only)."""
    return list(election.proxies.filter(approved_at__isnull=False, revoked_at__isnull=True)
                .select_related("grantor", "proxy").order_by("proxy__number", "grantor__number"))


def proxy_of(election: Election, proxy_id: int | None) -> Proxy:
    row = election.proxies.filter(pk=proxy_id).first() if proxy_id else None
    if row is None:
        raise _bad("proxy", "未找到本次选举的该委托")
    return row
