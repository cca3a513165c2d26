"""The referral API: scoped lists and reads, creation with refused references, pipeline moves."""

from __future__ import annotations

import pytest

from wengang.accounts.services import token_create
from wengang.audit.models import AuditEvent
from wengang.jobs.choices import PostingStatus
from wengang.jobs.models import Posting, Referral
from wengang.jobs.referrals import referral_create, referral_transition
from wengang.jobs.tests.factories import make_posting
from wengang.registry.models import EmploymentEvent

BASE = "/api/v1/referrals"


def _auth(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)}"}


def _post(client, url, body, user):
    return client.post(url, body, content_type="application/json", **_auth(user))


@pytest.fixture
def posting(people):
    return make_posting(people["employer"].enterprise, title="包装工", headcount=1)


@pytest.fixture
def other_posting(people):
    return make_posting(people["other_employer"].enterprise, title="偃师岗位")


@pytest.fixture
def referral(people, person_in_township, posting):
    return referral_create(
        actor=people["specialist"], person=person_in_township, posting=posting, source="staff"
    )


def test_staff_creates_and_drives_a_referral_to_a_hire(client, people, person_in_township, posting):
    staff = people["specialist"]
    body = {
        "person_id": person_in_township.pk,
        "posting_id": posting.pk,
        "source": "recommendation",
        "note": "匹配",
    }
    created = _post(client, BASE, body, staff)
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["state"], data["source"], data["note"]) == ("recommended", "recommendation", "匹配")
    assert data["person"]["phone"] == person_in_township.phone_masked
    assert "id_number" not in data["person"]
    assert [e["state"] for e in data["events"]] == ["recommended"]
    assert data["allowed_next"] == ["contacted", "interviewing", "declined", "withdrawn"]
    rid = data["id"]

    duplicate = _post(client, BASE, body, people["county_admin"])
    assert duplicate.status_code == 400
    assert "posting" in duplicate.json()["detail"]

    url = f"{BASE}/{rid}/transition"
    assert _post(client, url, {"to": "declined"}, staff).status_code == 400
    assert _post(client, url, {"to": "hired"}, staff).status_code == 400
    assert _post(client, url, {"to": "contacted", "note": "已联系"}, staff).status_code == 200
    hired = _post(client, url, {"to": "hired", "hired_on": "2026-03-05"}, people["employer"])
    assert hired.status_code == 200, hired.content
    assert (hired.json()["state"], hired.json()["hired_on"]) == ("hired", "2026-03-05")
    assert hired.json()["allowed_next"] == []
    posting.refresh_from_db()
    assert (posting.filled_count, posting.status) == (1, PostingStatus.FILLED)
    event = EmploymentEvent.objects.get(person=person_in_township, enterprise=posting.enterprise)
    assert (event.status, event.source) == ("employed_in_county", "enterprise")
    actions = AuditEvent.objects.filter(object_type="jobs.referral", object_id=str(rid)).order_by("id")
    assert list(actions.values_list("action", flat=True)) == ["create", "status", "status"]


def test_unusable_person_or_posting_is_400_with_one_message(
    client, people, person_in_township, posting, other_posting
):
    staff = people["other_county_admin"]  # 偃师: the 伊川 person is not theirs
    out_of_scope = _post(
        client, BASE, {"person_id": person_in_township.pk, "posting_id": other_posting.pk}, staff
    )
    missing = _post(client, BASE, {"person_id": 999999, "posting_id": other_posting.pk}, staff)
    assert out_of_scope.status_code == missing.status_code == 400
    assert out_of_scope.json() == missing.json()
    assert "person_id" in missing.json()["detail"]

    specialist = people["specialist"]
    draft = make_posting(people["other_employer"].enterprise, status=PostingStatus.DRAFT)
    unpublished = _post(
        client, BASE, {"person_id": person_in_township.pk, "posting_id": draft.pk}, specialist
    )
    nowhere = _post(client, BASE, {"person_id": person_in_township.pk, "posting_id": 999999}, specialist)
    assert unpublished.status_code == nowhere.status_code == 400
    assert unpublished.json() == nowhere.json()
    assert not Referral.objects.exists()
    # Another county's published posting is fine for staff.
    ok = _post(client, BASE, {"person_id": person_in_township.pk, "posting_id": other_posting.pk}, specialist)
    assert ok.status_code == 201


def test_employer_sees_only_its_own_referrals(client, people, person_in_township, referral, other_posting):
    mine = client.get(BASE, **_auth(people["employer"]))
    assert mine.status_code == 200
    assert [r["id"] for r in mine.json()["items"]] == [referral.pk]
    assert set(mine.json()["items"][0]["person"]) == {
        "id", "name", "gender", "age", "phone", "skills", "certificates"
    }  # fmt: skip
    assert client.get(f"{BASE}/{referral.pk}", **_auth(people["employer"])).status_code == 200

    other = _auth(people["other_employer"])
    assert client.get(BASE, **other).json()["items"] == []
    assert client.get(f"{BASE}/{referral.pk}", **other).status_code == 404
    moved = client.post(
        f"{BASE}/{referral.pk}/transition", {"to": "interviewing"}, content_type="application/json", **other
    )
    assert moved.status_code == 404
    referral.refresh_from_db()
    assert referral.state == "recommended"


def test_employer_cannot_create_or_reference_another_enterprises_posting(
    client, people, person_in_township, referral, other_posting
):
    employer = people["employer"]
    body = {"person_id": person_in_township.pk, "posting_id": referral.posting_id}
    assert _post(client, BASE, body, employer).status_code == 403
    foreign = client.get(BASE, {"posting_id": other_posting.pk}, **_auth(employer))
    missing = client.get(BASE, {"posting_id": 999999}, **_auth(employer))
    assert foreign.status_code == missing.status_code == 400
    assert foreign.json() == missing.json()
    assert client.get(BASE, {"person_id": 999999}, **_auth(employer)).status_code == 400
    own = client.get(BASE, {"posting_id": referral.posting_id}, **_auth(employer))
    assert [r["id"] for r in own.json()["items"]] == [referral.pk]
    by_person = client.get(BASE, {"person_id": person_in_township.pk}, **_auth(employer))
    assert by_person.json()["count"] == 1
    assert Referral.objects.count() == 1


def test_employer_transitions_within_its_rights(client, people, referral):
    employer = people["employer"]
    url = f"{BASE}/{referral.pk}/transition"
    assert _post(client, url, {"to": "contacted"}, employer).status_code == 403
    referral_transition(actor=people["specialist"], referral=referral, to="contacted")
    assert _post(client, url, {"to": "withdrawn", "reason": "other"}, employer).status_code == 403
    response = _post(
        client, url, {"to": "declined", "reason": "enterprise_rejected", "note": "技能不符"}, employer
    )
    assert response.status_code == 200
    assert response.json()["reason"] == "enterprise_rejected"
    assert [e["state"] for e in response.json()["events"]] == ["recommended", "contacted", "declined"]


def test_list_filters_and_scope_of_other_county_staff(client, people, person_in_township, referral):
    staff = _auth(people["specialist"])
    assert client.get(BASE, {"state": "recommended"}, **staff).json()["count"] == 1
    assert client.get(BASE, {"state": "hired"}, **staff).json()["count"] == 0
    assert client.get(BASE, {"person_id": person_in_township.pk}, **staff).json()["count"] == 1
    listed = AuditEvent.objects.filter(
        object_type="jobs.referral", action="view", actor_id=people["specialist"].pk
    )
    assert listed.count() == 3
    other = _auth(people["other_county_admin"])
    assert client.get(BASE, **other).json()["count"] == 0
    assert client.get(f"{BASE}/{referral.pk}", **other).status_code == 404
    assert client.get(BASE, {"person_id": person_in_township.pk}, **other).status_code == 400
    assert client.get(BASE, **_auth(people["viewer"])).status_code == 403


def test_no_places_left_is_refused(client, people, person_in_township, posting):
    Posting.objects.filter(pk=posting.pk).update(filled_count=1)
    body = {"person_id": person_in_township.pk, "posting_id": posting.pk}
    response = _post(client, BASE, body, people["specialist"])
    assert response.status_code == 400
    assert not Referral.objects.exists()
