"""Priority cases: automatic opening, staff adding, scope, the 1 / 3 / 1 progress and record validation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from wengang.assistance.choices import CaseStatus
from wengang.assistance.models import PriorityCase, ServiceRecord
from wengang.assistance.selectors import CaseFilters, case_list, case_progress, with_progress
from wengang.assistance.services import (
    case_assign,
    case_close,
    case_open,
    cases_open_automatically,
    record_add,
)
from wengang.assistance.tasks import open_priority_cases
from wengang.audit.models import AuditEvent
from wengang.jobs.tests.factories import make_posting

from .factories import make_case, make_person

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def candidates(people):
    admin = people["city_admin"]
    return {
        "unstable": make_person(admin, "410329001", 101, category="unstable"),
        "marginal": make_person(admin, "410329001", 102, category="marginal"),
        "sudden_difficulty": make_person(admin, "410329002", 103, category="sudden_difficulty"),
        "monitored": make_person(admin, "410307", 104, category="monitored"),
        "three_without": make_person(admin, "410329001", 105, three_without=True),
        "general": make_person(admin, "410329001", 106),
        "out_of_poverty": make_person(admin, "410329001", 107, category="out_of_poverty"),
    }


def test_automatic_opening_covers_each_category_and_is_idempotent(candidates):
    result = cases_open_automatically()

    assert result["opened"] == 5
    reasons = dict(PriorityCase.objects.values_list("person_id", "reason"))
    for key in ("unstable", "marginal", "sudden_difficulty", "monitored", "three_without"):
        assert reasons[candidates[key].pk] == key
    assert candidates["general"].pk not in reasons
    assert candidates["out_of_poverty"].pk not in reasons
    case = PriorityCase.objects.get(person=candidates["unstable"])
    assert case.area_code == candidates["unstable"].village_code
    assert case.opened_by is None
    assert case.status == CaseStatus.OPEN
    assert case.due_date == TODAY + dt.timedelta(days=30)
    event = AuditEvent.objects.filter(object_type="assistance.case").latest("id")
    assert event.actor_username == "system"
    assert event.changes["opened"] == 5
    assert event.changes["by_reason"]["three_without"] == 1

    again = cases_open_automatically()

    assert again["opened"] == 0
    assert PriorityCase.objects.count() == 5


def test_automatic_opening_by_scope_and_after_a_close(people, candidates):
    assert cases_open_automatically(scope_code="410307")["opened"] == 1
    assert PriorityCase.objects.get().person == candidates["monitored"]
    case_close(actor=people["city_admin"], case=PriorityCase.objects.get(), reason="moved")

    # A closed case does not block a new one: the person is still in a monitored household.
    assert open_priority_cases(scope_code="410307")["opened"] == 1
    assert PriorityCase.objects.filter(person=candidates["monitored"]).count() == 2


def test_command_opens_cases(candidates, capsys):
    call_command("open_priority_cases", "--scope", "410329001")
    assert PriorityCase.objects.count() == 3  # unstable, marginal, three-without in 410329001


def test_staff_adds_a_case_with_a_reason(people, person_in_township):
    with pytest.raises(ValidationError) as exc:
        case_open(actor=people["specialist"], person=person_in_township, reason_note=" ")
    assert "reason_note" in exc.value.message_dict
    assert not PriorityCase.objects.exists()

    case = case_open(
        actor=people["specialist"],
        person=person_in_township,
        reason_note="家中突发变故",
        specialist=people["specialist"],
    )

    assert case.reason == "staff_added"
    assert case.opened_by == people["specialist"]
    assert case.specialist == people["specialist"]
    with pytest.raises(ValidationError):  # one open case per person
        case_open(actor=people["county_admin"], person=person_in_township, reason_note="再次")
    assert PriorityCase.objects.count() == 1


def test_specialist_must_serve_the_area(people, person_in_township):
    with pytest.raises(ValidationError) as exc:
        case_open(
            actor=people["county_admin"],
            person=person_in_township,
            reason_note="x",
            specialist=people["other_specialist"],
        )
    assert "specialist" in exc.value.message_dict
    case = make_case(person_in_township)
    with pytest.raises(ValidationError):
        case_assign(actor=people["county_admin"], case=case, specialist=people["other_specialist"])
    with pytest.raises(PermissionDenied):
        case_assign(actor=people["specialist"], case=case, specialist=people["specialist"])
    case.refresh_from_db()
    assert case.specialist is None

    case_assign(actor=people["county_admin"], case=case, specialist=people["specialist"])
    case.refresh_from_db()
    assert case.specialist == people["specialist"]


def test_another_county_cannot_touch_the_case(people, person_in_township):
    case = make_case(person_in_township)
    with pytest.raises(ValidationError):
        record_add(actor=people["other_county_admin"], case=case, kind="guidance", date=TODAY, content="x")
    assert not ServiceRecord.objects.exists()


def test_a_specialist_sees_only_their_township(people):
    admin = people["city_admin"]
    own = make_case(make_person(admin, "410329001", 201, category="unstable"))
    other_township = make_case(make_person(admin, "410329002", 202, category="unstable"))
    other_county = make_case(make_person(admin, "410307", 203, category="unstable"))

    assert list(case_list(user=people["specialist"])) == [own]
    assert set(case_list(user=people["county_admin"])) == {own, other_township}
    assert set(case_list(user=people["city_admin"])) == {own, other_township, other_county}
    assert list(case_list(user=people["viewer"])) == []
    assert list(case_list(user=people["employer"])) == []


def test_progress_from_records(people, person_in_township):
    actor = people["specialist"]
    case = make_case(person_in_township)
    enterprise = people["employer"].enterprise
    p1, p2 = make_posting(enterprise, title="岗位一"), make_posting(enterprise, title="岗位二")
    p3 = make_posting(enterprise, title="岗位三")
    for _i in range(2):
        record_add(actor=actor, case=case, kind="guidance", date=TODAY, content="职业指导")
    record_add(actor=actor, case=case, kind="job_offer", date=TODAY, posting=p1, channel="phone")
    record_add(actor=actor, case=case, kind="job_offer", date=TODAY, posting=p1, channel="sms")
    record_add(actor=actor, case=case, kind="job_offer", date=TODAY, posting=p2, channel="wechat")

    assert case_progress(case) == (2, 2, 0, False)
    annotated = with_progress(PriorityCase.objects.filter(pk=case.pk)).get()
    assert (annotated.n_guidance, annotated.n_offers, annotated.n_training) == (2, 2, 0)
    assert list(case_list(user=actor, filters=CaseFilters(incomplete=True))) == [case]

    record_add(actor=actor, case=case, kind="job_offer", date=TODAY, posting=p3, channel="in_person")
    record_add(actor=actor, case=case, kind="training_offer", date=TODAY, programme="电工培训班")

    assert case_progress(case) == (2, 3, 1, True)
    assert list(case_list(user=actor, filters=CaseFilters(incomplete=True))) == []


@pytest.mark.parametrize("status", ["draft", "submitted", "paused", "closed"])
def test_job_offer_must_name_a_published_posting(people, person_in_township, status):
    case = make_case(person_in_township)
    posting = make_posting(people["employer"].enterprise, status=status)
    with pytest.raises(ValidationError) as exc:
        record_add(
            actor=people["specialist"],
            case=case,
            kind="job_offer",
            date=TODAY,
            posting=posting,
            channel="phone",
        )
    assert "posting" in exc.value.message_dict
    with pytest.raises(ValidationError):
        record_add(actor=people["specialist"], case=case, kind="job_offer", date=TODAY, channel="phone")
    assert not ServiceRecord.objects.exists()


def test_record_validation(people, person_in_township):
    actor = people["specialist"]
    case = make_case(person_in_township)
    posting = make_posting(people["employer"].enterprise)
    cases = [
        ({"kind": "guidance", "date": TODAY + dt.timedelta(days=1), "content": "x"}, "date"),
        ({"kind": "guidance", "date": TODAY, "content": ""}, "content"),
        ({"kind": "job_offer", "date": TODAY, "posting": posting, "channel": ""}, "channel"),
        ({"kind": "training_taken", "date": TODAY, "programme": ""}, "programme"),
        ({"kind": "bogus", "date": TODAY}, "kind"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationError) as exc:
            record_add(actor=actor, case=case, **kwargs)
        assert field in exc.value.message_dict, kwargs
    with pytest.raises(PermissionDenied):
        record_add(actor=people["viewer"], case=case, kind="guidance", date=TODAY, content="x")
    assert not ServiceRecord.objects.exists()
    case_close(actor=actor, case=case, reason="employed")
    with pytest.raises(ValidationError):
        record_add(actor=actor, case=case, kind="guidance", date=TODAY, content="x")
    assert not ServiceRecord.objects.exists()


def test_close_needs_a_note_for_other(people, person_in_township):
    case = make_case(person_in_township)
    with pytest.raises(ValidationError):
        case_close(actor=people["specialist"], case=case, reason="other")
    case.refresh_from_db()
    assert case.status == "open"
    case_close(actor=people["specialist"], case=case, reason="other", note="去世")
    case.refresh_from_db()
    assert (case.status, case.close_reason, case.close_note) == ("closed", "other", "去世")
    assert case.closed_at is not None


def test_training_enrolment_counts_toward_the_one_training(people, person_in_township):
    """A person attending a programme of the training app has their 131 "1 training" done, in both reads."""
    import datetime as dt

    from wengang.assistance.models import PriorityCase
    from wengang.assistance.selectors import case_progress, with_progress
    from wengang.training.models import Enrolment, Programme

    case = PriorityCase.objects.create(
        person=person_in_township,
        reason="three_without",
        area_code=person_in_township.village_code,
        due_date=dt.date(2027, 1, 31),
    )
    assert case_progress(case)[2] == 0
    programme = Programme.objects.create(
        name="焊工培训",
        provider="伊川职校",
        area_code="410329",
        start_date=dt.date(2026, 12, 1),
        end_date=dt.date(2026, 12, 20),
        places=30,
    )
    Enrolment.objects.create(
        programme=programme, person=person_in_township, enrolled_on=dt.date(2026, 11, 28), status="attending"
    )
    assert case_progress(case)[2] == 1
    assert with_progress(PriorityCase.objects.filter(pk=case.pk)).get().n_training == 1
