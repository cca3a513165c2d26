"""Skill gap → training: a seeker whose best match needs a certificate they lack is offered a programme."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from conftest import make_id
from wengang.assistance.models import ServiceRecord
from wengang.assistance.services import case_open
from wengang.jobs.tests.factories import make_occupation, make_posting
from wengang.regions.models import Region
from wengang.registry.services import EmploymentChange, person_create
from wengang.training.services import enrol, programme_create
from wengang.training.suggestions import blocked_postings, training_suggestions

pytestmark = pytest.mark.django_db
BACKEND = "wengang.accounts.backends.StaffBackend"


def _programme(actor, occupation, *, name="电焊工培训班", places=2, start_in=10, area_code="410329"):
    start = timezone.localdate() + dt.timedelta(days=start_in)
    return programme_create(
        actor=actor,
        name=name,
        provider="伊川县测试职业培训学校",
        area_code=area_code,
        start_date=start,
        end_date=start + dt.timedelta(days=9),
        places=places,
        occupation=occupation,
        cost_per_person=Decimal("1800"),
        subsidy_per_person=Decimal("1500"),
    )


@pytest.fixture
def gap(people):
    """A welder without a certificate; the best-paid welding job needs 焊工证, a plain job does not."""
    welding = make_occupation("6-18-02-04", "焊工", general_labour=False)
    village = Region.objects.filter(code__startswith="410329001", level="village").order_by("code").first()
    welder = person_create(
        actor=people["county_admin"],
        id_number=make_id("410329", "19900101", 21),
        name="王焊工",
        village_code=village.code,
        skills=["电焊工"],
        employment=EmploymentChange(status="unemployed_seeking", occurred_on=dt.date(2026, 1, 5)),
    )
    firm = people["employer"].enterprise
    certified = make_posting(
        firm,
        title="持证电焊工",
        occupation=welding,
        certificates=["焊工证"],
        monthly_min=8000,
        monthly_max=9000,
    )
    plain = make_posting(firm, title="焊接学徒", occupation=welding, monthly_min=3500, monthly_max=4000)
    course = _programme(people["county_admin"], welding)
    return {"welder": welder, "certified": certified, "plain": plain, "course": course, "welding": welding}


def test_the_posting_blocked_by_the_certificate_is_found(gap):
    blocked = blocked_postings(gap["welder"])
    assert [(b.posting.pk, b.missing) for b in blocked] == [(gap["certified"].pk, ("焊工证",))]


def test_a_programme_for_the_occupation_with_places_is_suggested(people, gap):
    [s] = training_suggestions(person=gap["welder"], user=people["specialist"])
    assert s.programme == gap["course"]
    assert s.places_left == 2
    assert s.certificates == ("焊工证",)
    assert [p.pk for p in s.postings] == [gap["certified"].pk]


def test_nothing_when_the_person_holds_the_certificate(people, gap):
    gap["welder"].certificates = ["焊工证"]
    gap["welder"].save(update_fields=["certificates"])
    assert blocked_postings(gap["welder"]) == []
    assert training_suggestions(person=gap["welder"], user=people["specialist"]) == []


def test_started_full_or_unrelated_programmes_are_not_suggested(people, gap):
    gap["course"].delete()
    _programme(people["county_admin"], gap["welding"], name="已开班的焊工班", start_in=-1)
    full = _programme(people["county_admin"], gap["welding"], name="满员焊工班", places=1)
    other = make_occupation("4-03-02-01", "中式烹调师", general_labour=False)
    _programme(people["county_admin"], other, name="厨师班")
    _programme(people["other_county_admin"], gap["welding"], name="偃师焊工班", area_code="410307")
    someone = person_create(
        actor=people["county_admin"],
        id_number=make_id("410329", "19920202", 22),
        name="李测试",
        village_code=gap["welder"].village_code,
    )
    enrol(actor=people["county_admin"], programme=full, person=someone)
    assert training_suggestions(person=gap["welder"], user=people["county_admin"]) == []


def test_a_programme_named_after_the_certificate_is_suggested_without_occupation(people, gap):
    gap["course"].delete()
    named = _programme(people["county_admin"], None, name="焊工证考证班")
    [s] = training_suggestions(person=gap["welder"], user=people["county_admin"])
    assert (s.programme, s.certificates) == (named, ("焊工证",))


def test_the_case_page_offers_the_training_in_one_click(client, people, gap):
    case = case_open(actor=people["county_admin"], person=gap["welder"], reason_note="技能缺口")
    client.force_login(people["specialist"], backend=BACKEND)
    with translation.override("en"):
        html = client.get(reverse("assistance:case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="training-suggestions"' in html
    assert "电焊工培训班" in html
    assert 'data-testid="offer-training"' in html
    response = client.post(
        reverse("assistance:record_add", args=[case.pk]),
        {
            "kind": "training_offer",
            "date": timezone.localdate().isoformat(),
            "programme": "电焊工培训班",
            "content": "Suggested for the missing certificate: 焊工证",
        },
    )
    assert response.status_code == 302
    record = ServiceRecord.objects.get(case=case)
    assert (record.kind, record.programme) == ("training_offer", "电焊工培训班")


def test_the_person_page_training_panel_shows_the_suggestion(client, people, gap):
    client.force_login(people["county_admin"], backend=BACKEND)
    html = client.get(reverse("registry:person_detail", args=[gap["welder"].pk])).content.decode()
    assert 'data-testid="training-suggestions"' in html
    assert "持证电焊工" in html
    client.force_login(people["employer"], backend=BACKEND)  # no training.view: nothing shown
    response = client.get(reverse("registry:person_detail", args=[gap["welder"].pk]))
    assert 'data-testid="training-suggestions"' not in response.content.decode()
