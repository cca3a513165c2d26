"""Postings API: scope per role, an employer's token confined to its enterprise, the workflow over HTTP."""

from __future__ import annotations

import json

import pytest

from wengang.accounts.services import token_create
from wengang.audit.models import AuditEvent
from wengang.jobs.models import Posting
from wengang.jobs.tests.factories import make_occupation, make_posting

pytestmark = pytest.mark.django_db


def _auth(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)}"}


@pytest.fixture
def enterprise(people):
    e = people["employer"].enterprise
    e.area_code = "410329001"
    e.save()
    return e


def _payload(**kw):
    body = {
        "title": "叉车司机",
        "headcount": 3,
        "occupation": make_occupation("4-02-07-02", "叉车司机", general_labour=False).code,
        "wage_unit": "day",
        "wage_min": "220",
        "wage_max": "260",
        "board": "meals",
    }
    body.update(kw)
    return body


def _post(client, url, body, user):
    return client.post(url, json.dumps(body), content_type="application/json", **_auth(user))


def test_employer_token_posts_for_own_enterprise_only(client, people, enterprise):
    employer = people["employer"]
    response = _post(client, "/api/v1/postings", _payload(), employer)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["enterprise_id"] == enterprise.pk
    assert data["monthly_min"] == 4785
    assert data["status"] == "draft"
    other = people["other_employer"].enterprise
    response = _post(client, "/api/v1/postings", _payload(enterprise_id=other.pk), employer)
    assert response.status_code == 400
    assert Posting.objects.filter(enterprise=other).count() == 0


def test_staff_must_name_an_enterprise_in_scope(client, people, enterprise):
    other = people["other_employer"].enterprise
    response = _post(client, "/api/v1/postings", _payload(enterprise_id=other.pk), people["county_admin"])
    assert response.status_code == 400
    response = _post(
        client, "/api/v1/postings", _payload(enterprise_id=enterprise.pk), people["county_admin"]
    )
    assert response.status_code == 201


def test_validation_errors_are_400_with_fields(client, people, enterprise):
    response = _post(
        client, "/api/v1/postings", _payload(title="招聘 限男性", headcount=1), people["employer"]
    )
    assert response.status_code == 400
    assert "title" in response.json()["detail"]


def test_employer_cannot_read_or_change_others(client, people, enterprise):
    other = make_posting(people["other_employer"].enterprise, title="别家")
    mine = make_posting(enterprise, title="本家")
    auth = _auth(people["employer"])
    listed = client.get("/api/v1/postings", **auth).json()["items"]
    assert [p["title"] for p in listed] == ["本家"]
    assert client.get(f"/api/v1/postings/{other.pk}", **auth).status_code == 404
    response = client.patch(
        f"/api/v1/postings/{other.pk}", json.dumps({"headcount": 99}), content_type="application/json", **auth
    )
    assert response.status_code == 404
    assert (
        _post(
            client, f"/api/v1/postings/{other.pk}/transition", {"to": "closed"}, people["employer"]
        ).status_code
        == 404
    )
    other.refresh_from_db()
    assert other.headcount == 5
    assert other.status == "published"
    assert client.get(f"/api/v1/postings/{mine.pk}", **auth).status_code == 200


def test_workflow_over_the_api(client, people, enterprise):
    employer, specialist = people["employer"], people["specialist"]
    pk = _post(client, "/api/v1/postings", _payload(), employer).json()["id"]
    assert (
        _post(client, f"/api/v1/postings/{pk}/transition", {"to": "submitted"}, employer).status_code == 200
    )
    assert (
        _post(client, f"/api/v1/postings/{pk}/transition", {"to": "published"}, employer).status_code == 403
    )
    response = _post(client, f"/api/v1/postings/{pk}/transition", {"to": "published"}, specialist)
    assert response.status_code == 200
    assert response.json()["status"] == "published"
    assert AuditEvent.objects.filter(
        object_id=str(pk), action="review", actor_username=specialist.username
    ).exists()
    response = _post(client, f"/api/v1/postings/{pk}/transition", {"to": "nonsense"}, specialist)
    assert response.status_code == 400


def test_patch_pay_keeps_the_unit(client, people, enterprise):
    pk = _post(client, "/api/v1/postings", _payload(), people["employer"]).json()["id"]
    response = client.patch(
        f"/api/v1/postings/{pk}",
        json.dumps({"wage_max": "300"}),
        content_type="application/json",
        **_auth(people["employer"]),
    )
    assert response.status_code == 200
    assert set(response.json()["changed"]) == {"wage_max", "monthly_max"}
    posting = Posting.objects.get(pk=pk)
    assert (posting.wage_unit, posting.monthly_min, posting.monthly_max) == ("day", 4785, 6525)


def test_other_county_staff_see_nothing(client, people, enterprise):
    make_posting(enterprise)
    assert client.get("/api/v1/postings", **_auth(people["other_county_admin"])).json()["items"] == []
    assert client.get("/api/v1/postings", **_auth(people["viewer"])).status_code == 403
