"""Proxy votes: recorded, approved, published, revoked; the limit per proxy, same village, relatives only,
one entrustment per grantor; and the limit raced on PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from shanzhi.audit.models import AuditEntry
from shanzhi.elections import proxies as px
from shanzhi.elections.models import Proxy, Stage
from shanzhi.elections.tests.candidates_setup import NOW, build
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound


@pytest.fixture
def setup(county):
    with clock.frozen(NOW):
        return build(county)


def record(s, grantor, proxy, reason="外出务工", actor=None):
    with clock.frozen(NOW):
        return px.proxy_record(actor=actor or s.committee_user, election=s.election, grantor=grantor, proxy=proxy,
                               reason=reason)


def approve(s, row, actor=None):
    with clock.frozen(NOW):
        return px.proxy_approve(actor=actor or s.committee_user, proxy=row)


def test_an_entrustment_is_recorded_approved_and_published(setup):
    s = setup
    v = s.voters
    row = record(s, v[3].number, v[4].number)
    assert (row.grantor, row.proxy, row.reason) == (v[3], v[4], "外出务工")
    assert px.proxies_published(s.election) == []
    approve(s, row)
    assert px.proxies_published(s.election) == [row]
    with pytest.raises(DomainError, match="已审核通过"):
        approve(s, row)
    assert {e.action for e in AuditEntry.objects.filter(action__startswith="elections.proxy")} == {
        "elections.proxy_record", "elections.proxy_approve"}


@pytest.mark.parametrize(("grantor", "proxy", "reason", "field"), [
    (3, 3, "外出", "proxy"),  # oneself
    (3, "other", "外出", "proxy"),  # a voter of another village
    ("other", 3, "外出", "grantor"),
    (3, "nobody", "外出", "proxy"),
    (3, 4, "", "reason"),
    (3, 4, "长" * 201, "reason"),
])
def test_bad_entrustments_are_refused_naming_the_field(setup, grantor, proxy, reason, field):
    s = setup

    def ref(x):
        return {"other": s.voters2[0].number, "nobody": "330421112201-9999"}.get(x) or s.voters[x].number

    with pytest.raises(DomainError) as exc:
        record(s, ref(grantor), ref(proxy), reason)
    assert field in exc.value.fields
    assert not Proxy.objects.exists()


def test_a_proxy_of_another_village_given_as_a_voter_row_is_refused(setup):
    s = setup
    with pytest.raises(DomainError) as exc:
        record(s, s.voters[3], s.voters2[1])
    assert "本村（社区）" in exc.value.fields["proxy"][0]


def test_one_proxy_holds_at_most_the_limit_checked_when_recorded_and_approved(setup):
    s = setup
    v = s.voters
    rows = [record(s, v[i], v[3]) for i in (4, 5, 6)]
    with pytest.raises(DomainError) as exc:
        record(s, v[7], v[3])
    assert exc.value.code == "proxy_limit" and "不得超过3人" in str(exc.value)
    with clock.frozen(NOW):
        px.proxy_revoke(actor=s.committee_user, proxy=rows[0], reason="本人回村")
    fourth = record(s, v[7], v[3])
    for r in rows[1:] + [fourth]:
        approve(s, r)
    # a limit lowered after recording: approval checks again
    s.rules.proxy_limit = 1
    s.rules.save()
    r = record(s, v[8], v[9])
    approve(s, r)
    s.rules.proxy_limit = 3
    s.rules.save()
    pending = record(s, v[10], v[9])
    s.rules.proxy_limit = 1
    s.rules.save()
    with pytest.raises(DomainError) as exc:
        approve(s, pending)
    assert exc.value.code == "proxy_limit"


def test_a_grantor_has_one_entrustment_and_may_renew_after_revoking(setup):
    s = setup
    v = s.voters
    row = record(s, v[3], v[4])
    with pytest.raises(DomainError) as exc:
        record(s, v[3], v[5])
    assert exc.value.code == "already_entrusted" and "grantor" in exc.value.fields
    with clock.frozen(NOW):
        px.proxy_revoke(actor=s.committee_user, proxy=row)
        with pytest.raises(DomainError, match="已撤销"):
            px.proxy_revoke(actor=s.committee_user, proxy=row)
        with pytest.raises(DomainError, match="已撤销"):
            px.proxy_approve(actor=s.committee_user, proxy=row)
    again = record(s, v[3], v[5], reason="住院")
    assert again.pk == row.pk and again.proxy == v[5] and again.revoked_at is None and again.approved_at is None
    assert Proxy.objects.count() == 1


def test_no_chains_a_proxy_does_not_entrust_and_a_grantor_holds_none(setup):
    s = setup
    v = s.voters
    record(s, v[3], v[4])
    with pytest.raises(DomainError, match="本人已委托他人"):
        record(s, v[5], v[3])
    with pytest.raises(DomainError, match="已接受他人委托"):
        record(s, v[4], v[6])


def test_where_the_rules_say_so_the_proxy_is_a_close_relative(county):
    with clock.frozen(NOW):
        s = build(county, rules={"proxy_close_relative_only": True})
    v = s.voters
    with pytest.raises(DomainError) as exc:
        record(s, v[3], v[4])
    assert exc.value.code == "not_relative" and "近亲属" in exc.value.fields["proxy"][0]
    row = record(s, v[1], v[0])  # 李梅 entrusts her husband 张三
    assert row.proxy == v[0]


def test_after_voting_opened_nothing_changes(setup):
    s = setup
    row = record(s, s.voters[3], s.voters[4])
    s.election.stage = Stage.VOTING
    s.election.save()
    with pytest.raises(DomainError, match="投票已开始"):
        record(s, s.voters[5], s.voters[6])
    with pytest.raises(DomainError, match="投票已开始"):
        approve(s, row)
    with pytest.raises(DomainError, match="投票已开始"), clock.frozen(NOW):
        px.proxy_revoke(actor=s.committee_user, proxy=row)


def test_who_may_record_and_approve(setup, county):
    s = setup
    row = record(s, s.voters[3], s.voters[4], actor=county.town_staff)
    for outsider in (s.committee2_user, county.worker_b, county.worker_c, county.resident_user):
        with pytest.raises(NotFound):
            record(s, s.voters[5], s.voters[6], actor=outsider)
        with pytest.raises(NotFound):
            approve(s, row, actor=outsider)
    approve(s, row, actor=county.admin)


# ---- the limit under concurrency (PostgreSQL) ---------------------------------------------------------------

def _race(calls) -> list:
    barrier = threading.Barrier(len(calls))
    out: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            out[i] = call()
        except DomainError as exc:
            out[i] = exc
        except Exception as exc:  # noqa: BLE001 - anything else fails the assertion, named in its message
            out[i] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    with clock.frozen(NOW):
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert not any(t.is_alive() for t in threads), "a proxy thread is still waiting"
    return out


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_five_clerks_at_once_cannot_give_one_proxy_more_than_the_limit(county):
    with clock.frozen(NOW):
        s = build(county)
    v = s.voters
    calls = [lambda i=i: px.proxy_record(actor=s.committee_user, election=s.election, grantor=v[i], proxy=v[3],
                                         reason="外出务工") for i in (4, 5, 6, 7, 8)]
    answers = _race(calls)
    assert sum(isinstance(a, Proxy) for a in answers) == 3, answers
    assert sorted(a.code for a in answers if isinstance(a, DomainError)) == ["proxy_limit", "proxy_limit"]
    assert Proxy.objects.filter(proxy=v[3], revoked_at__isnull=True).count() == 3
    rows = list(Proxy.objects.filter(proxy=v[3]))
    answers = _race([lambda r=r: px.proxy_approve(actor=s.committee_user, proxy=r) for r in rows])
    assert all(isinstance(a, Proxy) for a in answers), answers


# ---- the page ------------------------------------------------------------------------------------------------

def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_the_proxies_page_records_approves_revokes_and_publishes(setup, county):
    from django.urls import reverse

    s = setup
    v = s.voters
    url = reverse("elections:proxies", kwargs={"pk": s.election.pk})
    public = reverse("elections:proxies_public", kwargs={"pk": s.election.pk})
    client = _client(s.committee_user)
    with clock.frozen(NOW):
        assert client.get(url).status_code == 200
        resp = client.post(url, {"do": "record", "grantor": v[3].number, "proxy": v[4].number, "reason": "外出务工"})
        assert resp.status_code == 302
        resp = client.post(url, {"do": "record", "grantor": v[5].number, "proxy": s.voters2[0].number,
                                 "reason": "外出"})
        assert resp.status_code == 400 and "委托只能在本村（社区）选民之间进行" in resp.content.decode()
        resp = client.post(url, {"do": "record", "grantor": "", "proxy": v[4].number, "reason": ""})
        page = resp.content.decode()
        assert resp.status_code == 400 and "请填写委托人选民证号" in page and "请填写委托原因" in page
        row = Proxy.objects.get()
        assert v[3].name not in _client(county.resident_user).get(public).content.decode()
        assert client.post(url, {"do": "approve", "proxy": row.pk}).status_code == 302
        assert v[3].name in _client(county.resident_user).get(public).content.decode()
        resp = client.post(url, {"do": "approve", "proxy": 987654})
        assert resp.status_code == 400 and "未找到本次选举的该委托" in resp.content.decode()
        assert client.post(url, {"do": "revoke", "proxy": row.pk}).status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None


def test_the_proxies_page_is_not_found_for_outsiders(setup, county):
    from django.urls import reverse

    s = setup
    url = reverse("elections:proxies", kwargs={"pk": s.election.pk})
    for user in (s.committee2_user, county.worker_b, county.worker_c, county.resident_user):
        assert _client(user).get(url).status_code == 404
        resp = _client(user).post(url, {"do": "record", "grantor": s.voters[3].number, "proxy": s.voters[4].number,
                                        "reason": "外出"})
        assert resp.status_code == 404
    assert not Proxy.objects.exists()
