"""Generated requests against the council endpoints (schemathesis, as the county admin, with real objects):
never a 5xx, every answer as the OpenAPI schema says."""

from __future__ import annotations

from collections import Counter

import schemathesis
from schemathesis import GenerationMode

from shanzhi.councils import services
from shanzhi.councils.models import CouncilType
from shanzhi.councils.tests.test_councils import MONDAY
from shanzhi.lib import clock
from shanzhi.tests_api.test_schemathesis import _run, admin_token, app, same_transaction  # noqa: F401


def test_the_council_endpoints_answer_as_the_schema_says(county, app, admin_token):  # noqa: F811
    with clock.frozen(MONDAY):
        council = services.council_create(actor=None, type=CouncilType.objects.get(code="residents"),
                                          unit=county.village)
        topic = services.topic_raise(actor=county.resident_user, council=council, title="路灯", text="坏了",
                                     anonymous=True)
        services.comment_post(actor=county.resident_user, topic=topic, text="补充")
    with same_transaction():
        schema = schemathesis.openapi.from_wsgi("/api/schema/", app)
    headers = {"Authorization": f"Token {admin_token}"}
    known = {"id": council.pk, "number": topic.number}
    failures: list[str] = []
    statuses: Counter = Counter()
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith(("/api/v1/councils/", "/api/v1/council-topics/")):
            continue
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += _run(operation, mode, headers, app, statuses)
        names = {p.name for p in operation.path_parameters}
        if names:
            failures += _run(operation, GenerationMode.POSITIVE, headers, app, statuses,
                             {n: known[n] for n in names})
    assert operations == 4
    assert not failures, "\n\n".join(failures)
    assert not any(code >= 500 for _m, _p, code in statuses)
    assert statuses[("GET", "/api/v1/council-topics/{number}/", 200)] > 0
