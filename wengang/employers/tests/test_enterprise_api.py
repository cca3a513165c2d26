"""The enterprise API: scoped per role; an enterprise's own token sees and changes only itself."""

from __future__ import annotations

import pytest
from stdnum.cn import uscc

from wengang.accounts.services import token_create
from wengang.audit.models import Action, AuditEvent
from wengang.employers.models import Enterprise
from wengang.employers.tests.factories import make_enterprise

pytestmark = pytest.mark.django_db


def auth(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)}"}


def new_code() -> str:
    body = "91410329MA7Q00001"
    return body + uscc.calc_check_digit(body)


def test_list_is_scoped_filtered_and_audited(client, people):
    make_enterprise(name="鸣皋示例企业", area_code="410329101")
    headers = auth(people["county_admin"])
    body = client.get("/api/v1/enterprises", **headers).json()
    assert [e["name"] for e in body["items"]] == ["伊川测试企业", "鸣皋示例企业"]
    assert body["count"] == 2
    filtered = client.get("/api/v1/enterprises", {"area": "410329101"}, **headers).json()
    assert [e["name"] for e in filtered["items"]] == ["鸣皋示例企业"]
    outside = client.get("/api/v1/enterprises", {"area": "410307"}, **headers).json()
    assert outside["count"] == 0
    event = AuditEvent.objects.filter(action=Action.VIEW, object_type="employers.enterprise").latest("id")
    assert event.changes == {"list": True, "api": True, "filters": {"area": "410307"}}


def test_employer_token_sees_only_its_enterprise(client, people):
    own = people["employer"].enterprise
    other = people["other_employer"].enterprise
    headers = auth(people["employer"])
    body = client.get("/api/v1/enterprises", **headers).json()
    assert [e["id"] for e in body["items"]] == [own.pk]
    assert client.get(f"/api/v1/enterprises/{own.pk}", **headers).json()["uscc"] == own.uscc
    assert client.get(f"/api/v1/enterprises/{other.pk}", **headers).status_code == 404
    response = client.patch(
        f"/api/v1/enterprises/{other.pk}", {"contact_name": "x"}, content_type="application/json", **headers
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.contact_name == ""


def test_employer_patches_own_contact_but_not_name(client, people):
    own = people["employer"].enterprise
    headers = auth(people["employer"])
    url = f"/api/v1/enterprises/{own.pk}"
    ok = client.patch(url, {"contact_phone": "0379-65111111"}, content_type="application/json", **headers)
    assert ok.status_code == 200
    assert ok.json() == {"id": own.pk, "changed": ["contact_phone"]}
    refused = client.patch(url, {"name": "改名"}, content_type="application/json", **headers)
    assert refused.status_code == 403
    own.refresh_from_db()
    assert (own.name, own.contact_phone) == ("伊川测试企业", "0379-65111111")
    payload = {"uscc": new_code(), "name": "x", "area_code": "410329"}
    assert (
        client.post("/api/v1/enterprises", payload, content_type="application/json", **headers).status_code
        == 403
    )
    assert not Enterprise.objects.filter(uscc=new_code()).exists()


def test_other_county_gets_404_and_viewer_403(client, people):
    own = people["employer"].enterprise
    assert (
        client.get(f"/api/v1/enterprises/{own.pk}", **auth(people["other_county_admin"])).status_code == 404
    )
    response = client.patch(
        f"/api/v1/enterprises/{own.pk}",
        {"name": "改名"},
        content_type="application/json",
        **auth(people["other_county_admin"]),
    )
    assert response.status_code == 404
    assert client.get("/api/v1/enterprises", **auth(people["viewer"])).status_code == 403
    own.refresh_from_db()
    assert own.name == "伊川测试企业"


def test_staff_create_validates_and_scopes(client, people):
    headers = auth(people["county_admin"])
    payload = {
        "uscc": new_code().lower(),
        "name": "示例纺织有限公司",
        "area_code": "410329",
        "industry_division": "18",
    }
    created = client.post("/api/v1/enterprises", payload, content_type="application/json", **headers)
    assert created.status_code == 201
    assert (created.json()["uscc"], created.json()["industry_section"]) == (new_code(), "C")
    again = client.post("/api/v1/enterprises", payload, content_type="application/json", **headers)
    assert again.status_code == 400
    assert "示例纺织有限公司" in again.json()["detail"]["uscc"][0]
    code = new_code()
    bad = {**payload, "uscc": code[:17] + ("0" if code[17] != "0" else "1")}
    assert (
        client.post("/api/v1/enterprises", bad, content_type="application/json", **headers).status_code == 400
    )
    outside = {**payload, "uscc": make_code(2), "area_code": "410307"}
    response = client.post("/api/v1/enterprises", outside, content_type="application/json", **headers)
    assert response.status_code == 400
    assert set(response.json()["detail"]) == {"area_code"}
    assert Enterprise.objects.filter(name="示例纺织有限公司").count() == 1


def make_code(n: int) -> str:
    body = f"91410329MA7Q{n:05d}"
    return body + uscc.calc_check_digit(body)


def test_staff_patch_changes_fields_and_audits(client, people):
    own = people["employer"].enterprise
    headers = auth(people["county_admin"])
    response = client.patch(
        f"/api/v1/enterprises/{own.pk}",
        {"industry_division": "39", "area_code": "410329101"},
        content_type="application/json",
        **headers,
    )
    assert response.json() == {
        "id": own.pk,
        "changed": ["area_code", "industry_division", "industry_section"],
    }
    event = AuditEvent.objects.filter(action=Action.UPDATE, object_id=str(own.pk)).latest("id")
    assert event.changes["area_code"] == ["410329", "410329101"]
