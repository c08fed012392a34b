"""Intake from every channel: validation, photos, idempotency, who may use which channel."""

import pytest

from shanzhi.cases.models import Attachment, Case, Category, Channel, Kind
from shanzhi.cases.services import case_report
from shanzhi.cases.tests.conftest import photo
from shanzhi.lib.errors import DomainError, PermissionDenied


def test_photos_are_checked_resized_and_stored(county, report):
    case = report(photos=[photo("PNG", (3000, 2000)), photo("JPEG")])
    atts = list(Attachment.objects.filter(case=case))
    assert len(atts) == 2
    assert max(atts[0].width, atts[0].height) == 1600 and atts[0].content_type == "image/jpeg"
    assert atts[0].file.read(3) == b"\xff\xd8\xff"


def test_a_fake_image_is_refused_and_nothing_is_saved(county, report):
    with pytest.raises(DomainError, match="不是有效的图片") as err:
        report(photos=[photo(), b"<?php echo 'x'; ?>"])
    assert "photos" in err.value.fields
    assert Case.objects.count() == 0 and Attachment.objects.count() == 0


def test_at_most_nine_photos(county, report):
    with pytest.raises(DomainError, match="最多上传9张"):
        report(photos=[photo()] * 10)
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": "x" * 2001}, "description"),
        ({"kind": "complaint"}, "kind"),
        ({"priority": "whenever"}, "priority"),
        ({"reporter_phone": "12345"}, "reporter_phone"),
    ],
)
def test_bad_fields_are_named(county, report, kw, field):
    with pytest.raises(DomainError) as err:
        report(**kw)
    assert field in err.value.fields
    assert Case.objects.count() == 0


def test_coordinates_out_of_range_are_refused(county, at_wednesday):
    with pytest.raises(DomainError, match="超出范围") as err:
        case_report(actor=county.resident_user, kind=Kind.PROBLEM, category=Category.objects.get(code="garbage"),
                    description="x", channel=Channel.RESIDENT, lat=123.0, lon=500.0)
    assert "lat" in err.value.fields


def test_a_category_group_is_not_a_category(county, report):
    with pytest.raises(DomainError, match="具体的类别"):
        report("environment")


def test_html_is_stored_as_text(county, report):
    case = report(description="<script>alert(1)</script>")
    assert Case.objects.get(pk=case.pk).description == "<script>alert(1)</script>"


def test_the_same_idempotency_key_returns_the_same_case(county, report):
    a = report(idempotency_key="phone-123-abc")
    b = report(idempotency_key="phone-123-abc")
    assert a.pk == b.pk and Case.objects.count() == 1
    with pytest.raises(DomainError, match="提交编号"):
        report(idempotency_key="phone-123-abc", actor=county.worker_a, channel=Channel.PATROL)


def test_residents_cannot_use_staff_channels(county, report):
    with pytest.raises(PermissionDenied):
        report(channel=Channel.HOTLINE)
    with pytest.raises(PermissionDenied):
        report(channel=Channel.RESIDENT, actor=None) if False else case_report(
            actor=None, kind=Kind.PROBLEM, category=Category.objects.get(code="garbage"), description="x",
            channel=Channel.RESIDENT)


def test_hotline_intake_on_behalf_of_a_caller(county, report):
    case = report(channel=Channel.HOTLINE, actor=county.town_staff, reporter_name="来电人",
                  reporter_phone="13900001111", where=(15, 5))
    assert case.reporter is None and case.reporter_name == "来电人"
    assert case.reporter_phone_masked == "139****1111" and "13900001111" not in case.reporter_phone_enc
    assert case.handling_unit == county.grid_b


def test_my_home_uses_the_households_place(county, at_wednesday):
    case = case_report(actor=county.resident_user, kind=Kind.HELP, category=Category.objects.get(code="elderly_care"),
                       description="老人需要帮忙买药", channel=Channel.RESIDENT, household=county.household_a)
    assert case.unit == county.mg_a1 and case.address == county.household_a.address


def test_a_resident_cannot_report_for_someone_elses_home(county, at_wednesday):
    from shanzhi.lib.errors import NotFound

    with pytest.raises(NotFound):
        case_report(actor=county.resident_user, kind=Kind.HELP, category=Category.objects.get(code="medical"),
                    description="x", channel=Channel.RESIDENT, household=county.household_b)
