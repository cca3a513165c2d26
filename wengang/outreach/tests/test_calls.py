"""The call list's services: adding, scope per role, and what each outcome does."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from wengang.accounts.tests.factories import make_user
from wengang.assistance.models import ServiceRecord
from wengang.assistance.tests.factories import make_case
from wengang.audit.models import AuditEvent
from wengang.employers.tests.factories import make_enterprise
from wengang.jobs.models import Referral
from wengang.jobs.referrals import referral_create
from wengang.jobs.tests.factories import make_posting
from wengang.outreach.calls import CallFilters, call_add, call_count, call_dial, call_list, call_record
from wengang.outreach.models import Message
from wengang.registry.consent import consent_record

from .factories import make_reachable, phone_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def posting(people):
    return make_posting(make_enterprise(name="电话测试企业", area_code="410329"), title="电焊工")


@pytest.fixture
def caller(people):
    return people["specialist"]  # 410329001


@pytest.fixture
def yanshi_specialist(people):
    """A 偃师 specialist whose township has villages (the shared one's 410307001 has none)."""
    return make_user("t_spec_ys", "specialist", "410307004")


def _person(people, seq, prefix="410329001", channels=("phone",)):
    return make_reachable(people["county_admin"], prefix, seq, channels=channels)


def test_call_add_is_idempotent_scoped_and_audited(people, caller, posting):
    person = _person(people, 31)
    first = call_add(actor=caller, person=person, reason="春风行动岗位", postings=[posting.pk])
    again = call_add(actor=caller, person=person, reason="春风行动岗位", postings=[str(posting.pk)])
    assert first.pk == again.pk
    assert (first.channel, first.state, first.postings, first.area_code) == (
        "phone",
        "queued",
        [posting.pk],
        person.village_code,
    )
    assert AuditEvent.objects.filter(object_type="outreach.message", object_id=str(first.pk)).count() == 1
    other = call_add(actor=caller, person=person, reason="另一个原因")
    assert other.pk != first.pk


def test_call_add_refuses_out_of_scope_unknown_posting_and_roles(people, caller, posting):
    yanshi = make_reachable(people["other_county_admin"], "410307004", 32, channels=("phone",))
    with pytest.raises(ValidationError):
        call_add(actor=caller, person=yanshi, reason="x")
    person = _person(people, 33)
    with pytest.raises(ValidationError) as exc:
        call_add(actor=caller, person=person, reason="x", postings=[999999])
    assert "postings" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        call_add(actor=people["viewer"], person=person, reason="x")
    with pytest.raises(ValidationError):
        call_add(actor=caller, person=person, reason="   ")
    assert not Message.objects.filter(channel="phone").exists()


def test_list_shows_only_the_callers_area_per_role(people, caller, yanshi_specialist):
    yichuan = _person(people, 34)
    yanshi = make_reachable(people["other_county_admin"], "410307004", 35, channels=("phone",))
    mine = call_add(actor=caller, person=yichuan, reason="伊川")
    theirs = call_add(actor=yanshi_specialist, person=yanshi, reason="偃师")
    users = {**people, "yanshi_specialist": yanshi_specialist}
    seen = {role: set(call_list(user=u).values_list("pk", flat=True)) for role, u in users.items()}
    assert seen["specialist"] == {mine.pk}
    assert seen["county_admin"] == {mine.pk}
    assert seen["yanshi_specialist"] == {theirs.pk}
    assert seen["other_county_admin"] == {theirs.pk}
    assert seen["city_admin"] == {mine.pk, theirs.pk}
    assert (call_count(people["specialist"]), call_count(people["city_admin"])) == (1, 2)
    for role in ("employer", "worker", "auditor", "other_employer", "health_officer", "viewer", "liaison"):
        assert seen[role] == set(), role
    assert mine.pk not in seen["yanshi_specialist"]


def test_list_filters_and_order(people, caller):
    a = _person(people, 36)
    b = make_reachable(people["county_admin"], "410329001", 37, channels=("phone",))
    m1 = call_add(actor=caller, person=a, reason="返乡就业 岗位")
    m2 = call_add(actor=caller, person=b, reason="培训通知")
    assert list(call_list(user=caller, filters=CallFilters(q="培训")).values_list("pk", flat=True)) == [m2.pk]
    assert set(call_list(user=caller, filters=CallFilters(area=a.village_code[:9]))) == {m1, m2}
    assert list(call_list(user=caller, filters=CallFilters(area="410307"))) == []


def test_reached_with_open_case_records_job_information_and_guidance(people, caller, posting):
    person = _person(people, 40)
    case = make_case(person)
    message = call_add(actor=caller, person=person, reason="岗位", postings=[posting.pk])
    result = call_record(
        actor=caller, message=message, outcome="reached", note="愿意考虑", guidance_given=True
    )
    message.refresh_from_db()
    assert (message.state, message.call_outcome, message.called_by, message.attempts) == (
        "delivered",
        "reached",
        caller,
        1,
    )
    records = ServiceRecord.objects.filter(case=case).order_by("kind")
    assert [(r.kind, r.channel, r.posting_id) for r in records] == [
        ("guidance", "phone", None),
        ("job_offer", "phone", posting.pk),
    ]
    assert sorted(result.records) == sorted(r.pk for r in records)
    assert not Referral.objects.exists()
    with pytest.raises(ValidationError):
        call_record(actor=caller, message=message, outcome="reached")


def test_reached_without_guidance_tick_records_no_guidance(people, caller, posting):
    person = _person(people, 41)
    case = make_case(person)
    message = call_add(actor=caller, person=person, reason="岗位", postings=[posting.pk])
    call_record(actor=caller, message=message, outcome="not_interested")
    assert list(ServiceRecord.objects.filter(case=case).values_list("kind", flat=True)) == ["job_offer"]
    message.refresh_from_db()
    assert message.state == "delivered"


def test_interested_refers_to_each_posting_skipping_duplicates(people, caller, posting):
    person = _person(people, 42)
    other = make_posting(posting.enterprise, title="包装工")
    referral_create(actor=caller, person=person, posting=other, source="staff")
    message = call_add(actor=caller, person=person, reason="岗位", postings=[posting.pk, other.pk])
    with translation.override("en"):
        result = call_record(actor=caller, message=message, outcome="interested")
    new = Referral.objects.get(pk__in=result.referrals)
    assert (new.posting, new.source, new.person) == (posting, "staff", person)
    assert Referral.objects.filter(person=person).count() == 2
    assert len(result.skipped) == 1
    assert "already has an open referral" in result.skipped[0]
    assert not ServiceRecord.objects.exists()  # no open case
    event = AuditEvent.objects.filter(object_type="outreach.message", action="update").latest("id")
    assert event.changes["referrals"] == [new.pk]
    assert event.changes["call_outcome"] == "interested"


def test_no_answer_comes_back_tomorrow_and_fails_after_three(people, caller):
    person = _person(people, 43)
    message = call_add(actor=caller, person=person, reason="回访")
    call_record(actor=caller, message=message, outcome="no_answer")
    message.refresh_from_db()
    assert (message.state, message.attempts, message.call_outcome) == ("queued", 1, "no_answer")
    assert message.next_attempt_at > timezone.now() + dt.timedelta(hours=23)
    assert message not in call_list(user=caller)
    for attempt in (2, 3):
        Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        assert message in call_list(user=caller)
        call_record(actor=caller, message=message, outcome="no_answer")
        message.refresh_from_db()
        assert message.attempts == attempt
    assert message.state == "failed"
    assert message not in call_list(user=caller)


def test_wrong_number_fails_and_flags_the_person(people, caller):
    person = _person(people, 44)
    message = call_add(actor=caller, person=person, reason="回访")
    with translation.override("en"):
        call_record(actor=caller, message=message, outcome="wrong_number")
    message.refresh_from_db()
    person.refresh_from_db()
    assert message.state == "failed"
    assert f"Phone number wrong ({timezone.localdate().isoformat()})" in person.notes
    assert AuditEvent.objects.filter(
        object_type="registry.person", object_id=str(person.pk), action="update"
    ).exists()


def test_person_without_phone_consent_is_never_called(people, caller):
    never = _person(people, 45, channels=("sms",))
    skipped = call_add(actor=caller, person=never, reason="x")
    assert skipped.state == "skipped"
    assert skipped not in call_list(user=caller)
    person = _person(people, 46)
    message = call_add(actor=caller, person=person, reason="回访")
    consent_record(actor=people["county_admin"], person=person, channel="phone", granted=False)
    with pytest.raises(ValidationError):
        call_dial(actor=caller, message=message)
    result = call_record(actor=caller, message=message, outcome="reached")
    message.refresh_from_db()
    assert result.message.state == message.state == "skipped"
    assert message.call_outcome == ""


def test_dial_reveals_the_number_and_audits_an_unmask(people, caller, yanshi_specialist):
    person = _person(people, 47)
    message = call_add(actor=caller, person=person, reason="回访")
    assert call_dial(actor=caller, message=message) == phone_of(47)
    event = AuditEvent.objects.filter(action="unmask").latest("id")
    assert (event.object_type, event.object_id, event.reason, event.actor_id) == (
        "registry.person",
        str(person.pk),
        "电话联系",
        caller.pk,
    )
    with pytest.raises(ValidationError):
        call_dial(actor=yanshi_specialist, message=message)


def test_outcome_of_another_areas_call_is_refused(people, caller, yanshi_specialist):
    yanshi = make_reachable(people["other_county_admin"], "410307004", 48, channels=("phone",))
    message = call_add(actor=yanshi_specialist, person=yanshi, reason="偃师")
    with pytest.raises(ValidationError):
        call_record(actor=caller, message=message, outcome="reached")
    message.refresh_from_db()
    assert (message.state, message.call_outcome) == ("queued", "")
