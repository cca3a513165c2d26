"""The township specialist's queue of self-registrations: scope per role, accept, reject."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import make_id
from wengang.accounts.models import User
from wengang.audit.models import AuditEvent
from wengang.core import crypto
from wengang.regions.models import Region
from wengang.registry.models import Person
from wengang.workers import auth_services as svc
from wengang.workers import registration_services as reg
from wengang.workers.models import Registration

pytestmark = pytest.mark.django_db

ID = make_id("410329", "19880202", 21)


def _worker(phone: str) -> User:
    return svc.worker_account_for(phone=phone, p_hash=svc.phone_hash(phone))


def _registration(
    phone: str = "13700000099", township: str = "410329001", id_number: str = ID
) -> Registration:
    village = Region.objects.filter(code__startswith=township, level="village").order_by("code").first()
    return reg.registration_submit(
        user=_worker(phone),
        name="李自登",
        id_number=id_number,
        village_code=village.code,
        skills=["电焊"],
        intent="local_job",
    )


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("city_admin", {"yc", "ys"}),
        ("county_admin", {"yc"}),
        ("specialist", {"yc"}),
        ("other_specialist", set()),  # scope 410307001: no village there
        ("other_county_admin", {"ys"}),
        ("viewer", set()),
        ("employer", set()),
        ("worker", set()),
        ("auditor", set()),
    ],
)
def test_the_queue_shows_only_registrations_in_scope(client, people, role, sees):
    yc = _registration("13700000001", "410329001", make_id("410329", "19880202", 31))
    ys = _registration("13700000002", "410307", make_id("410307", "19880202", 32))
    by_name = {"yc": yc, "ys": ys}
    assert set(reg.registration_list(user=people[role])) == {by_name[k] for k in sees}
    client.force_login(people[role], backend="wengang.accounts.backends.StaffBackend")
    response = client.get(reverse("workers:registration_list"))
    if not people[role].can("registry.edit"):
        assert response.status_code == 403
        return
    assert response.status_code == 200
    for key, r in by_name.items():
        link = reverse("workers:registration_detail", args=[r.pk]).encode()
        assert (link in response.content) == (key in sees)
        detail = client.get(reverse("workers:registration_detail", args=[r.pk]))
        assert detail.status_code == (200 if key in sees else 404)


def test_accept_creates_the_person_and_links_the_account(client, people):
    r = _registration()
    client.force_login(people["specialist"], backend="wengang.accounts.backends.StaffBackend")
    detail = client.get(reverse("workers:registration_detail", args=[r.pk]))
    assert ID.encode() not in detail.content
    assert r.id_masked.encode() in detail.content
    response = client.post(reverse("workers:registration_accept", args=[r.pk]))
    assert response.status_code == 302
    r.refresh_from_db()
    person = Person.objects.get(id_hash=crypto.blind_index(ID))
    assert r.status == "accepted"
    assert r.person == person
    assert r.reviewed_by == people["specialist"]
    assert person.name == "李自登"
    assert person.village_code == r.village_code
    assert person.phone_hash == svc.phone_hash("13700000099")
    assert person.skills == ["电焊"]
    r.user.refresh_from_db()
    assert r.user.person == person
    assert r.user.scope_code == person.village_code
    assert AuditEvent.objects.filter(action="review", object_type="workers.registration").exists()
    # Accepting twice changes nothing.
    client.post(reverse("workers:registration_accept", args=[r.pk]))
    assert Person.objects.filter(id_hash=crypto.blind_index(ID)).count() == 1


def test_accept_links_to_a_person_already_in_the_registry(people, person_in_township):
    r = _registration(id_number=make_id("410329", "19900101", 11))
    person = reg.registration_accept(actor=people["specialist"], registration=r)
    assert person == person_in_township
    r.user.refresh_from_db()
    assert r.user.person == person_in_township


def test_reject_needs_a_note_and_the_worker_sees_it(client, people):
    r = _registration()
    client.force_login(people["specialist"], backend="wengang.accounts.backends.StaffBackend")
    response = client.post(reverse("workers:registration_reject", args=[r.pk]), {"note": ""})
    assert response.status_code == 200
    r.refresh_from_db()
    assert r.status == "pending"
    response = client.post(
        reverse("workers:registration_reject", args=[r.pk]), {"note": "身份证号与姓名不符"}
    )
    assert response.status_code == 302
    r.refresh_from_db()
    assert r.status == "rejected"
    assert r.review_note == "身份证号与姓名不符"
    assert not Person.objects.filter(id_hash=crypto.blind_index(ID)).exists()
    # The worker sees the note on their next visit and may register again.
    client.force_login(r.user, backend="wengang.accounts.backends.StaffBackend")
    page = client.get(reverse("workers:link"))
    assert "身份证号与姓名不符".encode() in page.content
    assert (
        b'name="id_number"'
        in client.get(reverse("workers:register"), {"county": "410329", "township": "410329001"}).content
    )


def test_out_of_scope_accept_is_refused_and_changes_nothing(client, people):
    r = _registration("13700000002", "410307", make_id("410307", "19880202", 32))
    client.force_login(people["specialist"], backend="wengang.accounts.backends.StaffBackend")
    assert client.post(reverse("workers:registration_accept", args=[r.pk])).status_code == 404
    assert (
        client.post(reverse("workers:registration_reject", args=[r.pk]), {"note": "不对"}).status_code == 404
    )
    r.refresh_from_db()
    assert r.status == "pending"
    assert r.person is None
