"""Training: places, completion and certificates, subsidy claims, scope and audit."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from conftest import make_id
from wengang.audit.models import AuditEvent
from wengang.jobs.tests.factories import make_occupation
from wengang.registry.models import Person
from wengang.registry.services import person_create
from wengang.training.models import Enrolment, Programme
from wengang.training.services import (
    enrol,
    enrolment_record,
    programme_create,
    programme_update,
    subsidy_transition,
    training_count,
)

pytestmark = pytest.mark.django_db
START = dt.date(2026, 4, 1)
END = dt.date(2026, 4, 10)


@pytest.fixture(autouse=True)
def _english():
    """The messages are checked by their English text (the catalogue translates them for users)."""
    from django.utils import translation

    with translation.override("en"):
        yield


def login(client, user):
    client.force_login(user, backend="wengang.accounts.backends.StaffBackend")


def make_programme(actor, *, places=2, area_code="410329", subsidy="1500", **kw) -> Programme:
    return programme_create(
        actor=actor,
        name=kw.pop("name", "电焊工培训班"),
        provider="伊川县测试职业培训学校",
        area_code=area_code,
        start_date=START,
        end_date=END,
        places=places,
        occupation=kw.pop("occupation", None),
        cost_per_person=Decimal("1800"),
        subsidy_per_person=Decimal(subsidy),
        **kw,
    )


@pytest.fixture
def second_person(people, person_in_township) -> Person:
    return person_create(
        actor=people["county_admin"],
        id_number=make_id("410329", "19920202", 12),
        name="李测试",
        village_code=person_in_township.village_code,
        phone="13912340002",
    )


def test_places_cannot_be_exceeded(people, person_in_township, second_person):
    spec = people["specialist"]
    programme = make_programme(people["county_admin"], places=1)
    first = enrol(actor=spec, programme=programme, person=person_in_township)

    with pytest.raises(ValidationError, match="1 places"):
        enrol(actor=spec, programme=programme, person=second_person)
    assert list(Enrolment.objects.values_list("person_id", flat=True)) == [person_in_township.pk]
    with pytest.raises(ValidationError, match="already enrolled"):
        enrol(actor=spec, programme=programme, person=person_in_township)

    # Dropping out frees the place; re-enrolling the first person then fails again.
    enrolment_record(actor=spec, enrolment=first, status="dropped", attendance_days=1)
    enrol(actor=spec, programme=programme, person=second_person)
    first.refresh_from_db()
    with pytest.raises(ValidationError, match="taken"):
        enrol(actor=spec, programme=programme, person=person_in_township)
    assert Enrolment.objects.filter(status="enrolled").count() == 1

    # Places cannot be cut below those taken.
    bigger = make_programme(people["county_admin"], places=2, name="叉车司机培训班")
    enrol(actor=spec, programme=bigger, person=person_in_township)
    enrol(actor=spec, programme=bigger, person=second_person)
    with pytest.raises(ValidationError, match="cannot be fewer"):
        programme_update(actor=people["county_admin"], programme=bigger, places=1)
    bigger.refresh_from_db()
    assert bigger.places == 2


def test_completion_with_certificate_adds_it_to_the_person(people, person_in_township):
    spec = people["specialist"]
    programme = make_programme(people["county_admin"])
    enrolment = enrol(actor=spec, programme=programme, person=person_in_township)
    assert training_count(person_in_township) == 0

    enrolment_record(actor=spec, enrolment=enrolment, status="attending", attendance_days=3)
    assert training_count(person_in_township) == 1
    with pytest.raises(ValidationError) as exc:
        enrolment_record(
            actor=spec, enrolment=enrolment, status="attending", attendance_days=4, certificate="焊工证"
        )
    assert "certificate" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        enrolment_record(actor=spec, enrolment=enrolment, status="completed", attendance_days=11)
    assert "attendance_days" in exc.value.message_dict

    changed = enrolment_record(
        actor=spec,
        enrolment=enrolment,
        status="completed",
        attendance_days=10,
        completed_on=END,
        certificate="焊工证 初级",
    )
    person_in_township.refresh_from_db()
    assert person_in_township.certificates == ["焊工证 初级"]
    assert "certificate_added_to_person" in changed
    assert training_count(person_in_township) == 1
    assert AuditEvent.objects.filter(
        object_type="registry.person", object_id=str(person_in_township.pk)
    ).exists()
    # A completed enrolment cannot go back.
    with pytest.raises(ValidationError):
        enrolment_record(actor=spec, enrolment=enrolment, status="dropped", attendance_days=10)


def test_subsidy_only_after_completion_and_within_the_programme_subsidy(people, person_in_township):
    spec = people["specialist"]
    programme = make_programme(people["county_admin"], subsidy="1500")
    enrolment = enrol(actor=spec, programme=programme, person=person_in_township)

    with pytest.raises(ValidationError, match="not completed"):
        subsidy_transition(actor=spec, enrolment=enrolment, state="claimed")
    enrolment.refresh_from_db()
    assert (enrolment.subsidy_state, enrolment.subsidy_amount) == ("none", None)

    enrolment_record(
        actor=spec, enrolment=enrolment, status="completed", attendance_days=10, completed_on=END
    )
    with pytest.raises(ValidationError, match="exceeds"):
        subsidy_transition(actor=spec, enrolment=enrolment, state="claimed", amount=Decimal("1500.01"))
    enrolment.refresh_from_db()
    assert enrolment.subsidy_state == "none"
    with pytest.raises(ValidationError, match="cannot go from"):
        subsidy_transition(actor=spec, enrolment=enrolment, state="paid")

    subsidy_transition(actor=spec, enrolment=enrolment, state="claimed", amount=Decimal("1200"))
    subsidy_transition(actor=spec, enrolment=enrolment, state="approved")
    subsidy_transition(actor=spec, enrolment=enrolment, state="paid")
    enrolment.refresh_from_db()
    assert (enrolment.subsidy_state, enrolment.subsidy_amount) == ("paid", Decimal("1200.00"))
    states = [
        e.changes["subsidy_state"]
        for e in AuditEvent.objects.filter(object_type="training.enrolment", action="status").order_by("id")
    ]
    assert states == [["none", "claimed"], ["claimed", "approved"], ["approved", "paid"]]


def test_on_the_job_training_needs_an_enterprise_in_scope(people):
    admin = people["county_admin"]
    with pytest.raises(ValidationError) as exc:
        make_programme(admin, is_on_the_job=True)
    assert "enterprise" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        make_programme(admin, is_on_the_job=True, enterprise=people["other_employer"].enterprise)
    assert "enterprise" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        make_programme(admin, area_code="410307")
    assert "area_code" in exc.value.message_dict
    assert Programme.objects.count() == 0
    programme = make_programme(admin, is_on_the_job=True, enterprise=people["employer"].enterprise)
    assert programme.enterprise == people["employer"].enterprise


def test_specialist_of_another_county_gets_404(client, people, person_in_township):
    programme = make_programme(people["county_admin"])
    enrolment = enrol(actor=people["specialist"], programme=programme, person=person_in_township)
    other = people["other_specialist"]
    with pytest.raises(PermissionDenied):
        enrol(actor=other, programme=programme, person=person_in_township)

    login(client, other)
    assert client.get(reverse("training:programme_detail", args=[programme.pk])).status_code == 404
    response = client.post(
        reverse("training:enrolment_record", args=[enrolment.pk]),
        {f"e{enrolment.pk}-status": "completed", f"e{enrolment.pk}-attendance_days": "10"},
    )
    assert response.status_code == 404
    response = client.post(
        reverse("training:enrolment_subsidy", args=[enrolment.pk]), {f"s{enrolment.pk}-state": "claimed"}
    )
    assert response.status_code == 404
    assert client.get(reverse("training:programme_list")).context["page"].paginator.count == 0
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.subsidy_state) == ("enrolled", "none")


def test_specialist_enrols_through_the_page_and_records_completion(client, people, person_in_township):
    occupation = make_occupation("6-18-02-04", "焊工")
    programme = make_programme(people["county_admin"], occupation=occupation)  # county-level course
    login(client, people["specialist"])  # a township specialist sees the county's course

    page = client.get(reverse("training:programme_detail", args=[programme.pk]), {"q": "张测试"})
    assert page.status_code == 200
    assert [p.pk for p in page.context["candidates"]] == [person_in_township.pk]

    response = client.post(reverse("training:enrol", args=[programme.pk]), {"person": person_in_township.pk})
    assert response.status_code == 302
    enrolment = Enrolment.objects.get()
    response = client.post(
        reverse("training:enrolment_record", args=[enrolment.pk]),
        {
            f"e{enrolment.pk}-status": "completed",
            f"e{enrolment.pk}-attendance_days": "10",
            f"e{enrolment.pk}-completed_on": "2026-04-10",
            f"e{enrolment.pk}-certificate": "焊工证 初级",
        },
    )
    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.certificate) == ("completed", "焊工证 初级")

    # Claim above the limit: the page shows the error and nothing changes.
    response = client.post(
        reverse("training:enrolment_subsidy", args=[enrolment.pk]),
        {f"s{enrolment.pk}-state": "claimed", f"s{enrolment.pk}-amount": "9999"},
    )
    assert response.status_code == 200
    assert "1500" in response.content.decode()
    enrolment.refresh_from_db()
    assert enrolment.subsidy_state == "none"

    listing = client.get(
        reverse("training:programme_list"), {"occupation": occupation.code, "status": "planned"}
    )
    assert [p.pk for p in listing.context["page"]] == [programme.pk]
    assert listing.context["page"][0].taken == 1
    assert (
        client.get(reverse("training:programme_list"), {"on_the_job": "1"}).context["page"].paginator.count
        == 0
    )

    rf = RequestFactory().get("/")
    rf.user = people["specialist"]
    html = Template("{% load training_tags %}{% person_training person %}").render(
        Context({"request": rf, "person": person_in_township})
    )
    assert "电焊工培训班" in html
    assert "焊工证 初级" in html
    rf.user = people["viewer"]
    assert "person-training" not in Template("{% load training_tags %}{% person_training person %}").render(
        Context({"request": rf, "person": person_in_township})
    )


def test_pages_and_export_write_audit_rows(client, people, person_in_township):
    admin = people["county_admin"]
    programme = make_programme(admin)
    enrol(actor=admin, programme=programme, person=person_in_township)
    assert AuditEvent.objects.filter(object_type="training.programme", action="create").count() == 1
    assert AuditEvent.objects.filter(object_type="training.enrolment", action="create").count() == 1

    login(client, admin)
    client.get(reverse("training:programme_list"))
    client.get(reverse("training:programme_detail", args=[programme.pk]))
    assert AuditEvent.objects.filter(object_type="training.programme", action="view").count() == 2

    response = client.get(reverse("training:enrolment_export"), {"programme": programme.pk})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][0] == "电焊工培训班"
    assert rows[1][7] == "张测试"
    assert AuditEvent.objects.filter(object_type="training.enrolment", action="export").count() == 1

    login(client, people["other_county_admin"])
    response = client.get(reverse("training:enrolment_export"))
    assert len(list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows())) == 1
