"""Consent to job pushes per channel: history, state in force at once, the selector later apps read, the
person page, the list filter, the export column and the API — all scoped."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from conftest import make_id
from wengang.audit.models import AuditEvent
from wengang.registry.consent import any_channel_q, consent_record, consent_state, may_push, pushable_queryset
from wengang.registry.models import Consent, Person
from wengang.registry.services import person_create

BACKEND = "wengang.accounts.backends.StaffBackend"


def _fresh(person: Person) -> Person:
    return Person.objects.get(pk=person.pk)


@pytest.mark.django_db
def test_grant_and_withdraw_take_effect_at_once_with_history(people, person_in_township):
    person = person_in_township
    assert not any(may_push(person, ch) for ch in ("sms", "wechat", "app", "phone"))
    consent_record(actor=people["specialist"], person=person, channel="sms", granted=True, note="电话确认")
    consent_record(actor=people["specialist"], person=person, channel="wechat", granted=True, source="worker")
    fresh = _fresh(person)
    assert (may_push(fresh, "sms"), may_push(fresh, "wechat"), may_push(fresh, "phone")) == (
        True,
        True,
        False,
    )
    assert consent_state(fresh) == {"sms": True, "wechat": True, "app": False, "phone": False}
    assert may_push(person, "sms")  # the caller's instance is kept in step too
    consent_record(actor=people["specialist"], person=person, channel="sms", granted=False)
    fresh = _fresh(person)
    assert (may_push(fresh, "sms"), may_push(fresh, "wechat")) == (False, True)
    assert consent_state(fresh) == {"sms": False, "wechat": True, "app": False, "phone": False}
    consent_record(actor=people["specialist"], person=person, channel="wechat", granted=False)
    fresh = _fresh(person)
    assert not any(consent_state(fresh).values())
    assert not Person.objects.filter(any_channel_q(), pk=person.pk).exists()
    history = list(Consent.objects.filter(person=person).values_list("channel", "granted", "source", "note"))
    assert history == [
        ("wechat", False, "staff", ""),
        ("sms", False, "staff", ""),
        ("wechat", True, "worker", ""),
        ("sms", True, "staff", "电话确认"),
    ]
    assert Consent.objects.filter(recorded_by=people["specialist"]).count() == 4
    audit = AuditEvent.objects.filter(object_type="registry.person", object_id=str(person.pk)).latest("id")
    assert audit.changes == {"consent": "wechat", "granted": [True, False], "source": "staff"}


@pytest.mark.django_db
def test_pushable_queryset_and_unknown_channels(people, person_in_township):
    other = person_create(
        actor=people["county_admin"],
        id_number=make_id("410329", "19910101", 301),
        name="不同意",
        village_code=person_in_township.village_code,
    )
    consent_record(actor=people["county_admin"], person=person_in_township, channel="app", granted=True)
    everyone = Person.objects.filter(pk__in=[person_in_township.pk, other.pk])
    assert [p.name for p in pushable_queryset(everyone, "app")] == ["张测试"]
    assert list(pushable_queryset(everyone, "sms")) == []
    assert list(pushable_queryset(everyone, "email")) == []
    assert may_push(person_in_township, "email") is False
    with translation.override("en"), pytest.raises(ValidationError, match="Unknown push channel"):
        consent_record(actor=people["county_admin"], person=other, channel="email", granted=True)
    assert not Consent.objects.filter(person=other).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["other_county_admin", "other_specialist", "viewer", "employer"])
def test_out_of_scope_consent_changes_nothing(people, person_in_township, actor):
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        consent_record(actor=people[actor], person=person_in_township, channel="sms", granted=True)
    assert (Consent.objects.count(), AuditEvent.objects.count()) == (0, events)
    assert _fresh(person_in_township).consent_sms is False


@pytest.mark.django_db
def test_person_page_grant_withdraw_filter_and_export(client, people, person_in_township):
    client.force_login(people["specialist"], backend=BACKEND)
    url = reverse("registry:person_consent", kwargs={"pk": person_in_township.pk})
    granted = client.post(url, {"channel": "sms", "granted": "1", "source": "staff", "note": "当面确认"})
    assert granted.status_code == 302
    page = client.get(reverse("registry:person_detail", kwargs={"pk": person_in_township.pk}))
    assert [(ch, on) for ch, _label, on in page.context["consent"]] == [
        ("sms", True),
        ("wechat", False),
        ("app", False),
        ("phone", False),
    ]
    assert [c.note for c in page.context["consents"]] == ["当面确认"]
    assert 'data-testid="consent-history"' in page.content.decode()
    listing = reverse("registry:person_list")
    assert [p.name for p in client.get(listing, {"consent": "sms"}).context["page"]] == ["张测试"]
    assert list(client.get(listing, {"consent": "wechat"}).context["page"]) == []
    export = client.get(reverse("registry:person_export"), {"consent": "sms"})
    rows = list(load_workbook(io.BytesIO(export.content), read_only=True).active.iter_rows(values_only=True))
    assert rows[0][-1] == "同意推送渠道"
    assert rows[1][-1] == "短信"
    withdrawn = client.post(url, {"channel": "sms", "granted": "0", "source": "staff"})
    assert withdrawn.status_code == 302
    assert list(client.get(listing, {"consent": "sms"}).context["page"]) == []
    # A bad form changes nothing; another county's staff get 404.
    assert client.post(url, {"channel": "fax", "granted": "1"}).status_code == 302
    assert Consent.objects.count() == 2
    client.force_login(people["other_county_admin"], backend=BACKEND)
    assert client.post(url, {"channel": "sms", "granted": "1", "source": "staff"}).status_code == 404
    assert Consent.objects.count() == 2


@pytest.mark.django_db
def test_consent_api(client, people, person_in_township):
    from wengang.accounts.services import token_create

    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=people['specialist'])}"}
    pid = person_in_township.pk
    created = client.post(
        f"/api/v1/registry/persons/{pid}/consents",
        {"channel": "phone", "granted": True, "note": "村里登记"},
        content_type="application/json",
        **auth,
    )
    assert created.status_code == 201, created.content
    assert (created.json()["channel"], created.json()["granted"]) == ("phone", True)
    detail = client.get(f"/api/v1/registry/persons/{pid}", **auth).json()
    assert detail["consent"] == {"sms": False, "wechat": False, "app": False, "phone": True}
    listed = client.get("/api/v1/registry/persons", {"consent": "phone"}, **auth).json()
    assert [p["name"] for p in listed["items"]] == ["张测试"]
    history = client.get(f"/api/v1/registry/persons/{pid}/consents", **auth).json()
    assert [(h["channel"], h["granted"], h["note"]) for h in history] == [("phone", True, "村里登记")]
    bad = client.post(
        f"/api/v1/registry/persons/{pid}/consents",
        {"channel": "fax", "granted": True},
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 400
    assert list(bad.json()["detail"]) == ["channel"]
    other = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=people['other_county_admin'])}"}
    assert (
        client.post(
            f"/api/v1/registry/persons/{pid}/consents",
            {"channel": "sms", "granted": True},
            content_type="application/json",
            **other,
        ).status_code
        == 404
    )
    assert client.get(f"/api/v1/registry/persons/{pid}/consents", **other).status_code == 404
    assert Consent.objects.count() == 1
