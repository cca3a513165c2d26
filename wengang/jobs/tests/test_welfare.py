"""Public-welfare placements: places, renewal, exit, the township rule, scope, registry events, months."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from conftest import make_id
from wengang.audit.models import AuditEvent
from wengang.jobs.choices import PostingStatus
from wengang.jobs.models import (
    Posting,
    WelfarePlacement,
    WelfarePlacementStatus,
    WelfareWorkMonth,
)
from wengang.jobs.tests.factories import make_posting
from wengang.jobs.welfare import (
    placement_create,
    placement_exit,
    placement_renew,
    work_month_record,
)
from wengang.regions.models import Region
from wengang.registry.models import EmploymentEvent
from wengang.registry.services import EmploymentChange, person_create

START = dt.date(2026, 3, 1)
END = dt.date(2026, 12, 31)
BACKEND = "wengang.accounts.backends.StaffBackend"


def _village(prefix: str, index: int = 0) -> str:
    codes = Region.objects.filter(code__startswith=prefix, level="village").order_by("code")
    return codes.values_list("code", flat=True)[index]


def _person(people, seq: int, village: str, *, three_without: bool = True):
    person = person_create(
        actor=people["county_admin"],
        id_number=make_id(village[:6], "19700101", seq),
        name=f"测试{seq}",
        village_code=village,
        employment=EmploymentChange(status="unemployed_seeking", occurred_on=dt.date(2026, 1, 1)),
    )
    if three_without:
        person.is_three_without = True
        person.save(update_fields=["is_three_without"])
    return person


@pytest.fixture
def post(people):
    """A published public-welfare post with 2 places in township 410329001."""
    return make_posting(
        people["employer"].enterprise,
        title="保洁公益岗",
        headcount=2,
        is_public_welfare=True,
        area_code="410329001",
        monthly_min=1200,
    )


def _place(actor, posting, person, **kw):
    args = {"start_date": START, "end_date": END, "monthly_allowance": Decimal("1200")}
    args.update(kw)
    return placement_create(actor=actor, posting=posting, person=person, **args)


def test_cannot_exceed_places(people, post):
    village = _village("410329001")
    a, b, c = (_person(people, i, village) for i in (21, 22, 23))
    _place(people["specialist"], post, a)
    _place(people["specialist"], post, b)
    post.refresh_from_db()
    assert post.filled_count == 2
    assert post.status == PostingStatus.FILLED
    # A full post is no longer published; even if someone reopens it, the places are counted.
    Posting.objects.filter(pk=post.pk).update(status=PostingStatus.PUBLISHED)
    events_before = EmploymentEvent.objects.filter(person=c).count()
    audits_before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        _place(people["specialist"], post, c)
    message = " ".join(exc.value.messages)
    assert "2" in message  # the post's places are named
    assert "保洁公益岗" in message
    assert WelfarePlacement.objects.filter(posting=post).count() == 2
    assert not WelfarePlacement.objects.filter(person=c).exists()
    post.refresh_from_db()
    assert post.filled_count == 2
    assert EmploymentEvent.objects.filter(person=c).count() == events_before
    assert AuditEvent.objects.count() == audits_before


def test_exit_frees_a_place_and_reopens_the_post(people, post):
    village = _village("410329001")
    a, b, c = (_person(people, i, village) for i in (31, 32, 33))
    first, _ = _place(people["specialist"], post, a)
    _place(people["specialist"], post, b)
    post.refresh_from_db()
    assert post.status == PostingStatus.FILLED
    placement_exit(
        actor=people["specialist"], placement=first, exit_date=dt.date(2026, 6, 30), reason="health"
    )
    first.refresh_from_db()
    post.refresh_from_db()
    assert first.status == WelfarePlacementStatus.ENDED
    assert first.exit_reason == "health"
    assert first.exit_date == dt.date(2026, 6, 30)
    assert post.filled_count == 1
    assert post.status == PostingStatus.PUBLISHED
    a.refresh_from_db()
    assert a.status == "unable"
    third, _ = _place(people["specialist"], post, c)
    post.refresh_from_db()
    assert post.filled_count == 2
    assert third.status == WelfarePlacementStatus.ACTIVE
    with pytest.raises(ValidationError):
        placement_exit(
            actor=people["specialist"], placement=first, exit_date=dt.date(2026, 7, 1), reason="other"
        )


def test_renewal_keeps_the_place(people, post):
    village = _village("410329001")
    a = _person(people, 41, village)
    old, _ = _place(people["specialist"], post, a)
    new = placement_renew(
        actor=people["county_admin"],
        placement=old,
        new_end_date=dt.date(2027, 12, 31),
        monthly_allowance=Decimal("1300"),
    )
    old.refresh_from_db()
    post.refresh_from_db()
    assert old.status == WelfarePlacementStatus.RENEWED
    assert new.renewed_from_id == old.pk
    assert new.status == WelfarePlacementStatus.ACTIVE
    assert new.start_date == dt.date(2027, 1, 1)
    assert new.monthly_allowance == Decimal("1300")
    assert post.filled_count == 1
    assert WelfarePlacement.objects.filter(person=a, status="active").count() == 1
    a.refresh_from_db()
    assert a.employment_events.order_by("-occurred_on", "-id").first().monthly_income == 1300
    with pytest.raises(ValidationError):
        placement_renew(
            actor=people["county_admin"],
            placement=new,
            new_end_date=dt.date(2027, 6, 1),  # before the new term starts
            monthly_allowance=Decimal("1300"),
        )


def test_person_must_live_in_the_posts_township(people, post):
    other_township = Region.objects.filter(code__startswith="410329", level="township").exclude(
        code="410329001"
    )
    far = _person(people, 51, _village(other_township.order_by("code").first().code))
    with pytest.raises(ValidationError) as exc:
        _place(people["county_admin"], post, far)
    assert far.name in " ".join(exc.value.messages)
    assert not WelfarePlacement.objects.exists()
    post.refresh_from_db()
    assert post.filled_count == 0


def test_village_post_accepts_the_whole_township_and_warns_for_non_priority(people, post):
    Posting.objects.filter(pk=post.pk).update(area_code=_village("410329001", 0))
    neighbour = _person(people, 52, _village("410329001", 1), three_without=False)
    placement, warnings = _place(people["county_admin"], post, neighbour)
    assert placement.pk
    assert len(warnings) == 1
    assert neighbour.name in warnings[0]


def test_scope_other_county_staff(people, post, client):
    a = _person(people, 61, _village("410329001"))
    with pytest.raises(PermissionDenied):
        _place(people["other_county_admin"], post, a)
    assert not WelfarePlacement.objects.exists()
    placement, _ = _place(people["specialist"], post, a)
    client.force_login(people["other_county_admin"], backend=BACKEND)
    assert client.get(reverse("jobs:welfare_detail", args=[placement.pk])).status_code == 404
    assert client.get(reverse("jobs:welfare_place", args=[post.pk])).status_code == 404
    response = client.post(
        reverse("jobs:welfare_exit", args=[placement.pk]), {"exit_date": "2026-05-01", "reason": "moved"}
    )
    assert response.status_code == 404
    placement.refresh_from_db()
    assert placement.status == WelfarePlacementStatus.ACTIVE
    listing = client.get(reverse("jobs:welfare_list"))
    assert listing.status_code == 200
    assert a.name not in listing.content.decode()
    client.force_login(people["employer"], backend=BACKEND)
    assert client.get(reverse("jobs:welfare_list")).status_code == 403


def test_employment_event_appended(people, post):
    a = _person(people, 71, _village("410329001"))
    _place(people["specialist"], post, a)
    latest = a.employment_events.order_by("-occurred_on", "-id").first()
    assert latest.status == "employed_local"
    assert latest.occurred_on == START
    assert latest.employer_name == people["employer"].enterprise.name
    assert latest.monthly_income == 1200
    assert latest.source == "staff"
    a.refresh_from_db()
    assert a.status == "employed_local"


def test_days_worked_bounds_and_month_in_term(people, post):
    a = _person(people, 81, _village("410329001"))
    placement, _ = _place(people["specialist"], post, a)
    for bad in (-1, 32):
        with pytest.raises(ValidationError) as exc:
            work_month_record(
                actor=people["specialist"],
                placement=placement,
                month=dt.date(2026, 4, 1),
                days_worked=bad,
                allowance_paid=Decimal("1200"),
            )
        assert "days_worked" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        work_month_record(
            actor=people["specialist"],
            placement=placement,
            month=dt.date(2026, 1, 1),
            days_worked=20,
            allowance_paid=Decimal("1200"),
        )
    assert "month" in exc.value.message_dict
    assert not WelfareWorkMonth.objects.exists()
    row = work_month_record(
        actor=people["specialist"],
        placement=placement,
        month=dt.date(2026, 4, 17),
        days_worked=31,
        allowance_paid=Decimal("1200"),
    )
    assert row.month == dt.date(2026, 4, 1)
    again = work_month_record(
        actor=people["specialist"],
        placement=placement,
        month=dt.date(2026, 4, 1),
        days_worked=22,
        allowance_paid=Decimal("1000"),
    )
    assert again.pk == row.pk
    assert WelfareWorkMonth.objects.get().days_worked == 22


def test_pages_place_record_month_and_export(people, post, client):
    a = _person(people, 91, _village("410329001"))
    b = _person(people, 92, _village("410329001"), three_without=False)
    client.force_login(people["specialist"], backend=BACKEND)
    page = client.get(reverse("jobs:welfare_place", args=[post.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index(a.name) < html.index(b.name)  # 三无 people first
    response = client.post(
        reverse("jobs:welfare_place", args=[post.pk]),
        {"person": a.pk, "start_date": "2026-03-01", "end_date": "2026-12-31", "monthly_allowance": "1200"},
    )
    placement = WelfarePlacement.objects.get(person=a)
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:welfare_detail", args=[placement.pk])
    bad = client.post(
        reverse("jobs:welfare_month", args=[placement.pk]),
        {"month": "2026-04", "days_worked": "40", "allowance_paid": "1200"},
    )
    assert bad.status_code == 400
    ok = client.post(
        reverse("jobs:welfare_month", args=[placement.pk]),
        {"month": "2026-04", "days_worked": "20", "allowance_paid": "1100"},
    )
    assert ok.status_code == 302
    assert WelfareWorkMonth.objects.get(placement=placement).days_worked == 20
    detail = client.get(reverse("jobs:welfare_detail", args=[placement.pk]))
    assert "1100" in detail.content.decode()
    export = client.get(reverse("jobs:welfare_export") + "?status=active")
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEvent.objects.filter(object_type="jobs.welfareplacement", action="export").count() == 1
    listing = client.get(reverse("jobs:welfare_list") + f"?posting={post.pk}")
    assert a.name in listing.content.decode()
