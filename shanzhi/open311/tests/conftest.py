"""Open311 test helpers: a frozen working-day clock, a client's key, and calls in either format."""

from __future__ import annotations

import datetime as dt
import json
from xml.etree import ElementTree as ET

import pytest
from django.utils import timezone

from shanzhi.lib import clock
from shanzhi.lib.testing import point_in
from shanzhi.open311.services import apikey_issue

# Wednesday 2026-11-25 10:00 Asia/Shanghai: a plain working day.
WEDNESDAY = timezone.make_aware(dt.datetime(2026, 11, 25, 10, 0))
FORMATS = ["json", "xml"]


@pytest.fixture
def now():
    with clock.frozen(WEDNESDAY) as at:
        yield at


@pytest.fixture
def api_key(county, now) -> str:
    """A live key of the 12345 hotline's system (the plain key, as the client holds it)."""
    _key, plain = apikey_issue(actor=None, name="12345 热线")
    return plain


def at(x: float, y: float) -> dict:
    """lat/long form fields for a point at an offset (0.01° units) in the test county."""
    lat, lon = point_in(x, y)
    return {"lat": str(lat), "long": str(lon)}


def body(response):
    """Parse a JSON or XML answer (XML: the root element)."""
    if response["Content-Type"].startswith("text/xml"):
        return ET.fromstring(response.content)
    return json.loads(response.content)


def post(client, fmt: str = "json", headers: dict | None = None, **data):
    return client.post(f"/open311/v2/requests.{fmt}", data, headers=headers or {})


def errors_of(response, fmt: str) -> list[tuple[int, str]]:
    """(code, description) pairs of a spec error body in either format."""
    if fmt == "xml":
        root = body(response)
        assert root.tag == "errors"
        return [(int(e.findtext("code")), e.findtext("description")) for e in root.findall("error")]
    items = body(response)
    assert isinstance(items, list)
    return [(e["code"], e["description"]) for e in items]
