"""The English catalogues are complete, and English pages speak English apart from the data they show."""

from __future__ import annotations

import importlib.util
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from shanzhi.lib.testing import report_case

ROOT = Path(__file__).resolve().parents[3]
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+")


def _tool():
    spec = importlib.util.spec_from_file_location("i18n_check", ROOT / "tools" / "i18n_check.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


i18n_check = _tool()


# ---- the catalogues --------------------------------------------------------------------------------

def test_every_catalogue_of_the_layout_is_there():
    found = {p.relative_to(ROOT).as_posix() for p in (ROOT / "shanzhi").rglob("locale/en/LC_MESSAGES/django.po")}
    assert found == {p.relative_to(ROOT).as_posix() for p in i18n_check.po_files()}
    assert "shanzhi/locale/en/LC_MESSAGES/django.po" in found  # the project's, for shared templates and lib
    for po in i18n_check.po_files():
        assert po.with_suffix(".mo").is_file()  # compiled next to it


def test_every_message_is_translated_and_none_is_fuzzy():
    problems = [m for po in i18n_check.po_files() for m in i18n_check.problems(po)]
    assert problems == [], "\n".join(problems) + "\n(python tools/i18n_check.py --update, translate, --compile)"


def test_the_compiled_catalogues_match_their_sources():
    from django.utils import translation

    with translation.override("en"):
        for po in i18n_check.po_files():
            for entry in i18n_check.parse_po(po.read_text(encoding="utf-8")):
                if entry.msgid_plural:
                    got = translation.ngettext(entry.msgid, entry.msgid_plural, 2)
                    want = entry.msgstrs[1]
                else:
                    got, want = translation.gettext(entry.msgid), entry.msgstrs[0]
                # the same msgid may be translated in two catalogues; any of them is fine when they agree
                assert got == want or not CJK.search(got), (po, entry.msgid, got)


def test_the_check_finds_an_untranslated_a_fuzzy_and_a_placeholder_slip(tmp_path):
    po = tmp_path / "django.po"
    po.write_text('msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
                  '#: a.py:1\nmsgid "已上传"\nmsgstr "Uploaded"\n\n'
                  '#: a.py:2\nmsgid "重试"\nmsgstr ""\n\n'
                  '#: a.py:3\n#, fuzzy\n#| msgid "移"\nmsgid "移除"\nmsgstr "Remove"\n\n'
                  '#: a.py:4\n#, python-format\nmsgid "拨打 %(phone)s"\nmsgstr "Call %(number)s"\n\n'
                  '#: a.py:5\n#, python-format\nmsgid "第%(n)s行"\nmsgid_plural "第%(n)s行"\n'
                  'msgstr[0] "One row"\nmsgstr[1] "Row %(n)s"\n\n'
                  '#~ msgid "旧的"\n#~ msgstr ""\n', encoding="utf-8")
    i18n_check.ROOT = tmp_path
    try:
        found = i18n_check.problems(po)
    finally:
        i18n_check.ROOT = ROOT
    assert [m.split(": ", 2)[1] for m in found] == ["untranslated", "fuzzy", "placeholders differ"]
    assert "重试" in found[0] and "移除" in found[1] and "拨打" in found[2]


# ---- English pages -----------------------------------------------------------------------------------

class VisibleText(HTMLParser):
    """The text a reader meets: text nodes outside script/style/template, and the words of attributes
    that are shown (title, placeholder, alt, aria-label, button values, the photo picker's data-say-*)."""

    SHOWN = {"title", "placeholder", "alt", "aria-label"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1
        for name, value in attrs:
            if value and (name in self.SHOWN or name.startswith("data-say")
                          or (name == "value" and ("type", "submit") in attrs)):
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def chinese_left(html: str, data: list[str]) -> list[str]:
    """The pieces of visible text still holding Chinese once the data shown (names, addresses) is removed."""
    parser = VisibleText()
    parser.feed(html)
    left = []
    for part in parser.parts:
        for word in sorted(data, key=len, reverse=True):
            part = part.replace(word, "")
        if CJK.search(part):
            left.append(part)
    return left


def data_words(county) -> list[str]:
    """What the small county shows that is data, not interface: names of units, people, places, users,
    categories (the staff filter brackets the top ones), what residents wrote."""
    from shanzhi.accounts.models import User
    from shanzhi.cases.models import Case, Category
    from shanzhi.org.models import OrgUnit
    from shanzhi.people.models import Household, Resident

    words = [*OrgUnit.objects.values_list("name", flat=True), *Household.objects.values_list("address", flat=True),
             *Resident.objects.values_list("name", flat=True), *User.objects.values_list("display_name", flat=True),
             *Category.objects.values_list("name", flat=True), *Case.objects.values_list("description", flat=True)]
    words += [f"【{name}】" for name in Category.objects.filter(parent=None).values_list("name", flat=True)]  # filter
    words += ["中文"]  # the language switch offers Chinese in Chinese
    return [w for w in words if w]


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.django_db
def test_the_landing_page_in_english_has_no_chinese(client, county):
    response = english(client).get("/")
    assert response.status_code == 200
    assert chinese_left(response.content.decode(), data_words(county)) == []
    assert "Resident log-in" in response.content.decode()


@pytest.mark.django_db
def test_a_resident_home_and_report_form_in_english_have_no_chinese(client, county):
    client.force_login(county.resident_user)
    english(client)
    for url in ("/", reverse("cases:report"), reverse("cases:mine")):
        response = client.get(url)
        assert response.status_code == 200, url
        left = chinese_left(response.content.decode(), data_words(county))
        assert left == [], f"{url}: {left}"


@pytest.mark.django_db
def test_the_grid_worker_queue_in_english_has_no_chinese(client, county):
    report_case(county)
    client.force_login(county.worker_a)
    response = english(client).get(reverse("cases:queue"))
    assert response.status_code == 200
    html = response.content.decode()
    left = chinese_left(html, data_words(county))
    assert left == [], left
    assert "My queue" in html


@pytest.mark.django_db
def test_the_same_pages_stay_chinese_by_default(client, county):
    client.force_login(county.worker_a)
    html = client.get(reverse("cases:queue")).content.decode()
    assert chinese_left(html, data_words(county)) != []  # the probe sees Chinese when there is some


@pytest.mark.django_db
def test_the_walk_list_in_english_has_no_chinese(client, county):
    import datetime as dt

    from shanzhi.campaigns import services as svc
    from shanzhi.campaigns.models import Kind, Rule
    from shanzhi.campaigns.scope import resolve
    from shanzhi.lib import clock

    scope = resolve(actor=county.town_staff, units=[county.grid_a.code])
    campaign = svc.campaign_create(actor=county.town_staff, kind=Kind.NIGHT_VISIT, name="十二月网格夜访", scope=scope,
                                   rule=Rule.GRID_WORKER, starts_at=clock.now() - dt.timedelta(hours=1))
    client.force_login(county.worker_a)
    response = english(client).get(reverse("campaigns:walk", args=[campaign.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    left = chinese_left(html, [*data_words(county), campaign.name])
    assert left == [], left
    assert "Sync now" in html
