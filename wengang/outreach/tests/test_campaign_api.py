"""The outreach API: segments, templates, campaigns and their messages, scoped and masked."""

from __future__ import annotations

import pytest
from django.utils import translation

from wengang.outreach import campaigns as campaigns_module
from wengang.outreach.campaigns import campaign_create, template_save
from wengang.outreach.choices import CampaignStatus
from wengang.outreach.models import Campaign, Message, Template
from wengang.outreach.segments import segment_save

from .factories import make_reachable

pytestmark = pytest.mark.django_db
BACKEND = "wengang.accounts.backends.StaffBackend"
API = "/api/v1/outreach"


@pytest.fixture(autouse=True)
def no_relay(monkeypatch):
    monkeypatch.setattr(campaigns_module, "relay_soon", lambda channel: None)


@pytest.fixture
def audience(people):
    return [make_reachable(people["county_admin"], "410329001", i, name=f"张{i}明") for i in (1, 2, 3)]


def _as(client, user):
    client.force_login(user, backend=BACKEND)
    return client


def _post(client, url, data):
    return client.post(url, data, content_type="application/json")


def test_segment_and_template_routes(client, people, audience):
    _as(client, people["specialist"])
    created = _post(client, f"{API}/segments", {"name": "全部", "filters": {"consent": "sms"}})
    assert created.status_code == 201
    assert created.json()["filters"] == {"consent": "sms"}
    assert [s["name"] for s in client.get(f"{API}/segments").json()["items"]] == ["全部"]
    with translation.override("en"):
        refused = _post(client, f"{API}/templates", {"name": "长", "body": "招" * 200})
    assert refused.status_code == 400
    assert "4" in str(refused.json())
    assert not Template.objects.exists()
    template = _post(client, f"{API}/templates", {"name": "推荐", "body": "{姓名}您好"})
    assert template.status_code == 201
    preview = _post(
        client,
        f"{API}/segments/preview",
        {"filters": {"consent": "sms"}, "template_id": template.json()["id"]},
    )
    assert preview.json() == {
        "total": 3,
        "reachable": {"wechat": 0, "sms": 3, "app": 0, "phone": 0},
        "samples": ["张*明您好", "张*明您好", "张*明您好"],
    }
    assert client.get(f"{API}/templates").json()["count"] == 1


def test_campaign_lifecycle_and_masked_messages(
    client, people, audience, settings, django_capture_on_commit_callbacks
):
    settings.WENGANG_OUTREACH = {**settings.WENGANG_OUTREACH, "approval_size": 2}
    spec = people["specialist"]
    template = template_save(actor=spec, name="t", body="{姓名}您好")
    segment = segment_save(actor=spec, name="s", filters={})
    _as(client, spec)
    created = _post(
        client,
        f"{API}/campaigns",
        {"name": "推送", "segment_id": segment.pk, "template_id": template.pk, "channels": ["wechat", "sms"]},
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    assert created.json()["status"] == "draft"
    submitted = client.post(f"{API}/campaigns/{pk}/submit")
    assert (submitted.status_code, submitted.json()["status"], submitted.json()["audience_size"]) == (
        200,
        "awaiting",
        3,
    )
    assert client.post(f"{API}/campaigns/{pk}/approve").status_code == 403  # specialists do not approve
    _as(client, people["county_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        approved = client.post(f"{API}/campaigns/{pk}/approve")
    assert approved.status_code == 200
    detail = client.get(f"{API}/campaigns/{pk}").json()
    assert detail["status"] == "sending"
    assert detail["approved_by"] == "t_county"
    assert detail["counts"] == {"queued": {"sms": 3}}
    assert detail["task"]["rows_done"] == 3
    first = client.get(f"{API}/campaigns/{pk}/messages", {"after": 0}).json()
    assert [m["name"] for m in first["items"]] == ["张*明"] * 3
    assert first["next_after"] is None
    assert "body" not in first["items"][0]
    assert [c["id"] for c in client.get(f"{API}/campaigns", {"status": "sending"}).json()["items"]] == [pk]
    cancelled = client.post(f"{API}/campaigns/{pk}/cancel")
    assert cancelled.json()["counts"] == {"cancelled": {"sms": 3}}
    assert client.post(f"{API}/campaigns/{pk}/cancel").status_code == 400


def test_messages_page_by_keyset(client, people, audience, monkeypatch):
    from wengang.outreach import api

    monkeypatch.setattr(api, "MESSAGE_PAGE", 2)
    admin = people["county_admin"]
    campaign = campaign_create(
        actor=admin,
        name="x",
        segment=segment_save(actor=admin, name="s", filters={}),
        template=template_save(actor=admin, name="t", body="你好"),
        channels=["sms"],
    )
    campaigns_module.campaign_queue(campaign)
    _as(client, admin)
    page1 = client.get(f"{API}/campaigns/{campaign.pk}/messages").json()
    page2 = client.get(f"{API}/campaigns/{campaign.pk}/messages", {"after": page1["next_after"]}).json()
    ids = [m["id"] for m in page1["items"] + page2["items"]]
    assert ids == sorted(Message.objects.values_list("id", flat=True))
    assert page2["next_after"] is None


def test_no_route_leaks_another_county(client, people):
    other = people["other_county_admin"]
    theirs = campaign_create(
        actor=other,
        name="偃师",
        segment=segment_save(actor=other, name="偃师人群", filters={}),
        template=template_save(actor=other, name="偃师模板", body="你好"),
        channels=["sms"],
    )
    for role in ("specialist", "county_admin"):
        _as(client, people[role])
        assert client.get(f"{API}/campaigns/{theirs.pk}").status_code == 404
        assert client.get(f"{API}/campaigns/{theirs.pk}/messages").status_code == 404
        for action in ("submit", "cancel"):
            assert client.post(f"{API}/campaigns/{theirs.pk}/{action}").status_code == 404
        assert client.get(f"{API}/campaigns").json()["count"] == 0
        assert client.get(f"{API}/segments").json()["count"] == 0
        assert client.get(f"{API}/templates").json()["count"] == 0
        bad = _post(
            client,
            f"{API}/campaigns",
            {
                "name": "借用",
                "segment_id": theirs.segment_id,
                "template_id": theirs.template_id,
                "channels": ["sms"],
            },
        )
        assert bad.status_code == 400
    for role in ("viewer", "employer", "health_officer", "liaison", "auditor"):
        _as(client, people[role])
        assert client.get(f"{API}/campaigns").status_code == 403, role
    assert Campaign.objects.get().status == CampaignStatus.DRAFT
    assert Campaign.objects.count() == 1
