"""Schemathesis over the legal team's operations only (the whole API's run is tests_api/test_schemathesis.py):
no 5xx and every answer as the OpenAPI schema says, for generated valid and invalid requests and a real
question."""

from collections import Counter

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from schemathesis import GenerationMode

from shanzhi.legal import services as svc
from shanzhi.legal.tests.conftest import NINE
from shanzhi.lib import clock
from shanzhi.lib.testing import PASSWORD
from shanzhi.tests_api.test_schemathesis import _run, same_transaction


@pytest.fixture
def app(db):
    return get_wsgi_application()


def _token(client, username) -> str:
    resp = client.post("/api/v1/auth/token/", {"username": username, "password": PASSWORD},
                       content_type="application/json")
    assert resp.status_code == 200, resp.content
    return resp.json()["token"]


def test_the_legal_endpoints_answer_as_their_schema_says(legal, app, client):
    c = legal
    with clock.frozen(NINE):
        q = svc.question_ask(actor=c.resident_user, category=c.extra["category"], text="承包地被占怎么办",
                             is_public=True)
        svc.question_answer(actor=c.extra["lawyer"], question=q, answer="可以协商")
    with same_transaction():
        schema = schemathesis.openapi.from_wsgi("/api/schema/", app)
    failures: list[str] = []
    statuses: Counter = Counter()
    operations = 0
    for username in (c.admin.username,):  # tokens are for staff holding a post (advisers use the session)
        headers = {"Authorization": f"Token {_token(client, username)}"}
        for result in schema.get_all_operations():
            operation = result.ok()
            if not operation.path.startswith("/api/v1/legal-"):
                continue
            operations += 1
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                failures += _run(operation, mode, headers, app, statuses)
            names = {p.name for p in operation.path_parameters}
            if names:
                failures += _run(operation, GenerationMode.POSITIVE, headers, app, statuses,
                                 {n: q.pk for n in names})
    assert not failures, "\n\n".join(failures)
    assert operations == 3  # questions list and detail, advisers list
    assert any(code == 200 and "{" in path for (_m, path, code) in statuses)  # the real question was read
    assert not any(code >= 500 for _m, _p, code in statuses)
