"""The reveal form names both of its errors in one round (after the gate, so out of scope stays 404)."""

from __future__ import annotations

from shanzhi.audit.models import AuditEntry
from shanzhi.lib.testing import ID_RESIDENT
from shanzhi.lib.tests.test_form_errors import summary
from shanzhi.people.tests.test_pages import reveal_url


def test_a_wrong_field_and_no_reason_are_named_together(client, county):
    client.force_login(county.worker_a)
    response = client.post(reveal_url(county.resident), {"field": "address", "reason": "?"})
    html = response.content.decode()
    assert response.status_code == 200 and ID_RESIDENT not in html
    assert summary(html) == ["查看：只能查看身份证号或手机号",
                             "事由：查看完整信息必须填写事由（至少两个汉字或字母，写明为何需要）"]
    assert 'href="#id_field"' in html and 'href="#id_reason"' in html
    assert not AuditEntry.objects.filter(action__startswith="people.reveal.").exclude(
        action="people.reveal.refused").exists()


def test_the_same_bad_form_out_of_scope_is_404_and_names_nothing(client, county):
    client.force_login(county.worker_b)
    response = client.post(reveal_url(county.resident), {"field": "address", "reason": "?"})
    assert response.status_code == 404 and "error-summary" not in response.content.decode()
