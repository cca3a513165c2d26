"""Incremental updates: a changed posting or person re-ranks only the people concerned, without a full run."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import make_id
from wengang.jobs.choices import PostingStatus
from wengang.jobs.services import posting_transition, posting_update
from wengang.jobs.tests.factories import make_occupation, make_posting
from wengang.matching.incremental import (
    current_runs,
    recommendations_refresh_for_person,
    recommendations_refresh_for_posting,
    recommendations_refresh_for_postings,
)
from wengang.matching.models import MatchRun, Recommendation
from wengang.matching.runs import match_run_create, match_run_execute
from wengang.regions.models import Region
from wengang.registry.services import EmploymentChange, person_create, person_update

TOWN = "410329001"


def _village() -> str:
    return (
        Region.objects.filter(code__startswith=TOWN, level="village")
        .order_by("code")
        .values_list("code", flat=True)[0]
    )


def _person(people, seq: int, birth: str, **kw):
    return person_create(
        actor=people["county_admin"],
        id_number=make_id("410329", birth, seq),
        name=f"测试{seq}",
        village_code=_village(),
        employment=EmploymentChange(
            status="unemployed_seeking", occurred_on=dt.date(2026, 1, 5), monthly_income=3000
        ),
        **kw,
    )


def _current(person) -> list[int]:
    return list(
        Recommendation.objects.filter(person=person, is_current=True)
        .order_by("rank")
        .values_list("posting_id", flat=True)
    )


@pytest.fixture
def ran(people):
    """Two seekers in 伊川 (30 and 55), one posting for the under-40s, and a finished county run."""
    young = _person(people, 1, "19960301")
    old = _person(people, 2, "19700301")
    capped = make_posting(people["employer"].enterprise, title="包装工（40岁以下）", age_max=40)
    run = match_run_create(actor=people["county_admin"], scope_code="410329")
    match_run_execute(run_id=run.pk)
    assert _current(young) == [capped.pk]
    assert _current(old) == []
    return {"young": young, "old": old, "capped": capped, "run": run}


def test_publishing_a_fitting_posting_adds_it_without_a_full_run(
    people, ran, django_capture_on_commit_callbacks
):
    better = make_posting(
        people["employer"].enterprise,
        title="装卸工",
        status=PostingStatus.SUBMITTED,
        monthly_min=7000,
        monthly_max=9000,
        board="both",
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        posting_transition(actor=people["county_admin"], posting=better, to=PostingStatus.PUBLISHED)
    assert len(callbacks) == 1
    assert MatchRun.objects.count() == 1  # no new run
    assert _current(ran["young"]) == [better.pk, ran["capped"].pk]  # better pay ranks first
    assert _current(ran["old"]) == [better.pk]  # no age limit: the 55-year-old is reached too
    row = Recommendation.objects.get(person=ran["old"], is_current=True)
    assert row.run_id == ran["run"].pk
    assert "月薪 7000–9000 元" in row.reasons
    # the replaced rows stay as history, no longer current
    assert Recommendation.objects.filter(person=ran["young"], is_current=False).count() == 1


def test_closing_a_posting_removes_it(people, ran, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        posting_transition(actor=people["county_admin"], posting=ran["capped"], to=PostingStatus.CLOSED)
    assert _current(ran["young"]) == []
    assert Recommendation.objects.filter(posting=ran["capped"], is_current=True).count() == 0


def test_raising_the_age_limit_reaches_the_older_seeker(people, ran, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        posting_update(actor=people["county_admin"], posting=ran["capped"], data={"age_max": 60})
    assert _current(ran["old"]) == [ran["capped"].pk]
    assert _current(ran["young"]) == [ran["capped"].pk]


def test_a_posting_that_reaches_nobody_writes_nothing(people, ran):
    other = make_occupation("6-01-00-01", "焊工", general_labour=False)
    welder = make_posting(people["employer"].enterprise, title="焊工", occupation=other)
    before = Recommendation.objects.count()
    done = recommendations_refresh_for_posting(welder.pk)
    assert (done.seekers, done.rows) == (0, 0)
    assert Recommendation.objects.count() == before


def test_a_person_who_stops_seeking_loses_their_list(people, ran, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        person_update(
            actor=people["county_admin"],
            person=ran["young"],
            employment=EmploymentChange(status="not_seeking", occurred_on=dt.date(2026, 3, 1)),
        )
    assert _current(ran["young"]) == []
    with django_capture_on_commit_callbacks(execute=True):
        person_update(
            actor=people["county_admin"],
            person=ran["young"],
            employment=EmploymentChange(status="unemployed_seeking", occurred_on=dt.date(2026, 3, 2)),
        )
    assert _current(ran["young"]) == [ran["capped"].pk]


def test_a_person_refresh_without_a_run_does_nothing(people):
    young = _person(people, 1, "19960301")
    make_posting(people["employer"].enterprise)
    done = recommendations_refresh_for_person(young.pk)
    assert (done.runs, done.rows) == (0, 0)
    assert not Recommendation.objects.exists()


def test_a_newer_run_of_a_wider_area_replaces_the_older(people, ran):
    city = match_run_create(actor=people["city_admin"], scope_code="410300")
    match_run_execute(run_id=city.pk)
    assert [r.pk for r, _inner in current_runs()] == [city.pk]
    county = match_run_create(actor=people["county_admin"], scope_code="410329")
    match_run_execute(run_id=county.pk)
    assert [(r.pk, inner) for r, inner in current_runs()] == [(county.pk, []), (city.pk, ["410329"])]


def test_a_skilled_posting_reaches_the_seeker_who_names_the_skill(
    people, ran, django_capture_on_commit_callbacks
):
    welding = make_occupation("6-18-02-04", "焊工", general_labour=False)
    welder = _person(people, 3, "19880301", skills=["电焊工"])
    job = make_posting(
        people["employer"].enterprise, title="电焊工", occupation=welding, status=PostingStatus.SUBMITTED
    )
    with django_capture_on_commit_callbacks(execute=True):
        posting_transition(actor=people["county_admin"], posting=job, to=PostingStatus.PUBLISHED)
    assert job.pk in _current(welder)
    assert job.pk not in _current(ran["young"])  # no stated skill: general labour only


def test_a_batch_of_changed_postings_is_one_update(people, ran):
    better = make_posting(people["employer"].enterprise, title="装卸工", monthly_min=7000, monthly_max=9000)
    posting_transition(actor=people["county_admin"], posting=ran["capped"], to=PostingStatus.CLOSED)
    # (on-commit updates are not run here: the batch does both changes in one go)
    done = recommendations_refresh_for_postings([better.pk, ran["capped"].pk, better.pk])
    assert (done.runs, done.seekers) == (1, 2)
    assert _current(ran["young"]) == [better.pk]
    assert _current(ran["old"]) == [better.pk]
    assert Recommendation.objects.filter(posting=ran["capped"], is_current=True).count() == 0


def test_the_batch_task_refreshes_every_posting_given(people, ran):
    from wengang.matching.tasks import postings_changed

    posting_transition(actor=people["county_admin"], posting=ran["capped"], to=PostingStatus.CLOSED)
    postings_changed.delay([ran["capped"].pk])
    assert _current(ran["young"]) == []
