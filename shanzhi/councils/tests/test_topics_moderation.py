"""Comments on topics: who may post and flag, automatic hiding after N flags, moderators hiding comments and
topics with a reason (audited), and hidden text never shown to the public."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shanzhi.audit.models import AuditEntry
from shanzhi.cases.models import Notification
from shanzhi.councils import services
from shanzhi.councils.models import CouncilType
from shanzhi.councils.tests.test_councils import MONDAY, build_setting, client_for
from shanzhi.councils.tests.test_topics import raise_topic
from shanzhi.lib import clock
from shanzhi.lib.errors import DomainError, NotFound, PermissionDenied

RUDE = "这是一条不文明的评论"


@pytest.fixture
def setting(county):
    with clock.frozen(MONDAY):
        yield build_setting(county)


def test_residents_members_and_staff_in_scope_comment(setting):
    s = setting
    topic = raise_topic(s)
    services.topic_follow(actor=s.wang, topic=topic)
    c = services.comment_post(actor=s.li, topic=topic, text="同意，晚上确实很黑")
    assert c.author_name == "李梅"
    # the author and followers hear of it, not the commenter
    assert set(Notification.objects.filter(link__contains=topic.number).values_list("user", flat=True)) == {
        s.zhang.pk, s.wang.pk}
    services.comment_post(actor=s.cadre, topic=topic, text="村里本周安排维修")
    with pytest.raises(NotFound):
        services.comment_post(actor=s.zhao, topic=topic, text="路过")
    with pytest.raises(NotFound):
        services.comment_post(actor=s.c.worker_b, topic=topic, text="路过")
    with pytest.raises(DomainError) as exc:
        services.comment_post(actor=s.li, topic=topic, text="   ")
    assert "text" in exc.value.fields


def test_the_comment_form(setting):
    s = setting
    topic = raise_topic(s)
    url = reverse("councils:topic_act", args=[topic.number, "comment"])
    resp = client_for(s.li).post(url, {"text": ""})
    assert resp.status_code == 400 and "请填写评论内容" in resp.content.decode()
    resp = client_for(s.li).post(url, {"text": "x" * 1001})
    assert resp.status_code == 400
    assert client_for(s.li).post(url, {"text": "<script>alert(1)</script>支持"}).status_code == 302
    body = client_for(s.zhang).get(reverse("councils:topic_detail", args=[topic.number])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;支持" in body and "李某" in body
    assert client_for(s.zhao).post(url, {"text": "hi"}).status_code == 404


def test_flag_once_and_hidden_after_n_flags(setting):
    s = setting
    CouncilType.objects.filter(code="residents").update(flags_to_hide=2)
    topic = raise_topic(s)
    comment = services.comment_post(actor=s.li, topic=topic, text=RUDE)
    with pytest.raises(DomainError):  # not one's own
        services.comment_flag(actor=s.li, comment=comment)
    services.comment_flag(actor=s.zhang, comment=comment, reason="骂人")
    with pytest.raises(DomainError) as exc:
        services.comment_flag(actor=s.zhang, comment=comment)
    assert exc.value.code == "already_flagged"
    with pytest.raises(NotFound):
        services.comment_flag(actor=s.zhao, comment=comment)
    comment.refresh_from_db()
    assert comment.flag_count == 1 and not comment.hidden
    url = reverse("councils:topic_act", args=[topic.number, "flag"])
    assert client_for(s.wang).post(url, {"comment": comment.pk}).status_code == 302
    comment.refresh_from_db()
    assert comment.hidden and comment.hidden_by is None and comment.flag_count == 2
    assert topic.events.filter(action="comment_hidden").exists()
    page = reverse("councils:topic_detail", args=[topic.number])
    for user in (s.zhang, s.wang, s.li):
        body = client_for(user).get(page).content.decode()
        assert RUDE not in body and "该评论已被隐藏" in body
    assert RUDE in client_for(s.cadre).get(page).content.decode()  # the moderator still reads it
    resp = client_for(s.wang).post(url, {"comment": "abc"})
    assert resp.status_code == 400 and "未找到该评论" in resp.content.decode()


def test_a_moderator_hides_a_comment_with_a_reason(setting):
    s = setting
    topic = raise_topic(s)
    comment = services.comment_post(actor=s.li, topic=topic, text=RUDE)
    for outsider in (s.c.worker_a, s.c.worker_b, s.zhao):
        with pytest.raises(NotFound):
            services.comment_hide(actor=outsider, comment=comment, reason="不文明")
    with pytest.raises(PermissionDenied):
        services.comment_hide(actor=s.zhang, comment=comment, reason="不文明")
    with pytest.raises(DomainError) as exc:
        services.comment_hide(actor=s.cadre, comment=comment, reason="")
    assert "reason" in exc.value.fields
    url = reverse("councils:topic_act", args=[topic.number, "hide_comment"])
    assert client_for(s.zhang).post(url, {"comment": comment.pk, "reason": "x"}).status_code == 403
    assert client_for(s.cadre).post(url, {"comment": comment.pk, "reason": "含人身攻击"}).status_code == 302
    comment.refresh_from_db()
    assert comment.hidden and comment.hidden_by == s.cadre and comment.hidden_reason == "含人身攻击"
    assert AuditEntry.objects.filter(action="councils.comment_hide", actor=s.cadre, reason="含人身攻击").exists()
    assert RUDE not in client_for(s.zhang).get(reverse("councils:topic_detail", args=[topic.number])).content.decode()
    with pytest.raises(DomainError):
        services.comment_hide(actor=s.cadre, comment=comment, reason="again")


def test_a_hidden_topic_shows_no_words_to_the_public(setting):
    s = setting
    topic = raise_topic(s, title="某某家里的丑事", text="不实的指责")
    with pytest.raises(PermissionDenied):
        services.topic_hide(actor=s.li, topic=topic, reason="x")
    url = reverse("councils:topic_act", args=[topic.number, "hide"])
    resp = client_for(s.cadre).post(url, {"reason": ""})
    assert resp.status_code == 400 and "请填写理由" in resp.content.decode()
    assert client_for(s.cadre).post(url, {"reason": "涉及他人隐私"}).status_code == 302
    topic.refresh_from_db()
    assert topic.hidden
    assert AuditEntry.objects.filter(action="councils.topic_hide", reason="涉及他人隐私").exists()
    page = reverse("councils:topic_detail", args=[topic.number])
    for user in (s.li, s.zhang):
        body = client_for(user).get(page).content.decode()
        assert "丑事" not in body and "不实的指责" not in body and "该议题已被隐藏" in body
    listing = client_for(s.li).get(reverse("councils:council_detail", args=[s.council.pk])).content.decode()
    assert "丑事" not in listing
    assert "丑事" in client_for(s.cadre).get(page).content.decode()
    with pytest.raises(DomainError):  # no support or comment on a hidden topic
        services.topic_support(actor=s.li, topic=topic)
    with pytest.raises(DomainError):
        services.comment_post(actor=s.li, topic=topic, text="x")
