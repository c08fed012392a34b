import datetime as dt
import io

import pytest
from django.utils import timezone
from PIL import Image

from shanzhi.cases.models import Category, Channel, Kind
from shanzhi.cases.services import case_report
from shanzhi.lib import clock
from shanzhi.lib.testing import point_in

# Wednesday 2026-11-25 10:00 Asia/Shanghai: a plain working day.
WEDNESDAY = timezone.make_aware(dt.datetime(2026, 11, 25, 10, 0))


@pytest.fixture
def at_wednesday():
    with clock.frozen(WEDNESDAY) as now:
        yield now


def photo(fmt: str = "PNG", size=(800, 600)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, fmt)
    return buf.getvalue()


@pytest.fixture
def report(county, at_wednesday):
    """Raise a resident case in grid A (micro-grid A1) and return it."""

    def _report(code: str = "garbage", where=(2, 5), actor=None, **kw):
        lat, lon = point_in(*where) if where else (None, None)
        kw.setdefault("kind", Kind.PROBLEM)
        kw.setdefault("channel", Channel.RESIDENT)
        return case_report(actor=actor or county.resident_user, category=Category.objects.get(code=code),
                           description=kw.pop("description", "路边垃圾三天没人清理"), lat=lat, lon=lon, **kw)

    return _report
