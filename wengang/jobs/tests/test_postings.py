"""Posting services and pages: validation, the review workflow and its audit rows, expiry, scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from wengang.audit.models import AuditEvent
from wengang.jobs.choices import PostingStatus
from wengang.jobs.models import Posting
from wengang.jobs.services import (
    gender_requirement,
    posting_count_hire,
    posting_create,
    posting_transition,
    posting_update,
    postings_close_expired,
)
from wengang.jobs.tests.factories import make_occupation, make_posting

pytestmark = pytest.mark.django_db


def _data(**kw):
    data = {
        "title": "电焊工",
        "headcount": 2,
        "occupation": make_occupation("6-18-02-04", "焊工", general_labour=False).code,
        "wage_unit": "month",
        "wage_min": 5000,
        "wage_max": 7000,
        "area_code": "410329001",
        "board": "both",
    }
    data.update(kw)
    return data


@pytest.fixture
def enterprise(people):
    e = people["employer"].enterprise
    e.area_code = "410329001"
    e.save()
    return e


def _login(client, user):
    client.force_login(user, backend="wengang.accounts.backends.StaffBackend")


@pytest.mark.parametrize(
    "text",
    ["限男性", "招聘女工", "男士优先", "仅招男", "性别：女", "要求男性，身体健康", "女性即可", "只招女"],
)
def test_gender_requirements_are_found(text):
    assert gender_requirement(text)


@pytest.mark.parametrize("text", ["男女不限", "性别不限，18-50岁", "不限男女", "招聘普工 包吃住", "男女均可"])
def test_neutral_text_passes(text):
    assert gender_requirement(text) == ""


def test_gender_requirement_is_refused_citing_the_law(people, enterprise):
    with pytest.raises(ValidationError) as exc:
        posting_create(actor=people["employer"], enterprise=enterprise, data=_data(title="普工 限男性"))
    message = " ".join(exc.value.message_dict["title"])
    assert "限男" in message
    assert "就业促进法" in message or "Employment Promotion Law" in message
    assert not Posting.objects.exists()


@pytest.mark.parametrize(
    ("unit", "low", "high", "monthly"),
    [("month", 4500, 6000, (4500, 6000)), ("day", 200, 240, (4350, 5220)), ("hour", 25, 30, (4350, 5220))],
)
def test_pay_is_converted_to_monthly(people, enterprise, unit, low, high, monthly):
    posting = posting_create(
        actor=people["employer"],
        enterprise=enterprise,
        data=_data(wage_unit=unit, wage_min=low, wage_max=high),
    )
    assert (posting.monthly_min, posting.monthly_max) == monthly


def test_piece_rate_needs_an_estimate_and_details(people, enterprise):
    with pytest.raises(ValidationError) as exc:
        posting_create(actor=people["employer"], enterprise=enterprise, data=_data(wage_unit="piece"))
    assert {"monthly_min", "wage_note"} <= set(exc.value.message_dict)
    posting = posting_create(
        actor=people["employer"],
        enterprise=enterprise,
        data=_data(wage_unit="piece", wage_min=1, wage_max=2, wage_note="每件 1–2 元", monthly_min=5000),
    )
    assert posting.monthly_min == 5000


def test_every_bad_field_is_named(people, enterprise):
    with pytest.raises(ValidationError) as exc:
        posting_create(
            actor=people["employer"],
            enterprise=enterprise,
            data=_data(
                headcount=0, wage_min=8000, wage_max=5000, age_min=14, area_code="4103", occupation="9-99"
            ),
        )
    assert {"headcount", "wage_max", "age_min", "area_code", "occupation"} <= set(exc.value.message_dict)


def test_employer_cannot_create_public_welfare_posts(people, enterprise):
    with pytest.raises(ValidationError):
        posting_create(actor=people["employer"], enterprise=enterprise, data=_data(is_public_welfare=True))
    posting = posting_create(
        actor=people["county_admin"], enterprise=enterprise, data=_data(is_public_welfare=True)
    )
    assert posting.is_public_welfare


def test_employer_cannot_post_for_another_enterprise(people):
    with pytest.raises(PermissionDenied):
        posting_create(actor=people["employer"], enterprise=people["other_employer"].enterprise, data=_data())


def test_workflow_with_review_and_audit(people, enterprise):
    employer, specialist = people["employer"], people["specialist"]
    posting = posting_create(actor=employer, enterprise=enterprise, data=_data())
    assert posting.status == PostingStatus.DRAFT
    posting_transition(actor=employer, posting=posting, to=PostingStatus.SUBMITTED)
    with pytest.raises(PermissionDenied):
        posting_transition(actor=employer, posting=posting, to=PostingStatus.PUBLISHED)
    with pytest.raises(ValidationError):  # returning needs a note
        posting_transition(actor=specialist, posting=posting, to=PostingStatus.DRAFT)
    posting_transition(actor=specialist, posting=posting, to=PostingStatus.DRAFT, note="请写明工作时间")
    posting.refresh_from_db()
    assert posting.review_note == "请写明工作时间"
    assert posting.reviewed_by == specialist
    posting_transition(actor=employer, posting=posting, to=PostingStatus.SUBMITTED)
    posting_transition(actor=specialist, posting=posting, to=PostingStatus.PUBLISHED)
    posting.refresh_from_db()
    assert posting.status == PostingStatus.PUBLISHED
    assert posting.published_at is not None
    reviews = AuditEvent.objects.filter(
        object_type="jobs.posting", object_id=str(posting.pk), action="review"
    )
    assert [(e.actor_username, e.changes["status"]) for e in reviews.order_by("id")] == [
        (specialist.username, ["submitted", "draft"]),
        (specialist.username, ["submitted", "published"]),
    ]
    posting_transition(actor=employer, posting=posting, to=PostingStatus.PAUSED)
    posting_transition(actor=employer, posting=posting, to=PostingStatus.CLOSED)
    with pytest.raises(ValidationError):
        posting_transition(actor=employer, posting=posting, to=PostingStatus.PUBLISHED)
    statuses = AuditEvent.objects.filter(
        object_type="jobs.posting", object_id=str(posting.pk), action="status"
    )
    assert [e.changes["status"] for e in statuses.order_by("id")] == [
        ["draft", "submitted"],
        ["draft", "submitted"],
        ["published", "paused"],
        ["paused", "closed"],
    ]


def test_submit_needs_occupation_and_pay(people, enterprise):
    posting = posting_create(
        actor=people["employer"],
        enterprise=enterprise,
        data=_data(occupation="", wage_min=None, wage_max=None),
    )
    with pytest.raises(ValidationError) as exc:
        posting_transition(actor=people["employer"], posting=posting, to=PostingStatus.SUBMITTED)
    assert {"occupation", "wage_min"} <= set(exc.value.message_dict)


def test_employer_edit_of_published_posting_goes_back_to_review(people, enterprise):
    posting = make_posting(enterprise)
    changed = posting_update(actor=people["employer"], posting=posting, data={"headcount": 9})
    posting.refresh_from_db()
    assert changed == ["headcount"]
    assert posting.status == PostingStatus.SUBMITTED
    staff_posting = make_posting(enterprise)
    posting_update(actor=people["county_admin"], posting=staff_posting, data={"headcount": 9})
    staff_posting.refresh_from_db()
    assert staff_posting.status == PostingStatus.PUBLISHED


def test_last_hire_fills_the_posting(people, enterprise):
    posting = make_posting(enterprise, headcount=2)
    posting_count_hire(posting=posting, actor=people["specialist"])
    posting.refresh_from_db()
    assert (posting.filled_count, posting.status) == (1, PostingStatus.PUBLISHED)
    posting_count_hire(posting=posting, actor=people["specialist"])
    posting.refresh_from_db()
    assert (posting.filled_count, posting.status) == (2, PostingStatus.FILLED)


def test_expired_postings_close_themselves(people, enterprise):
    today = timezone.localdate()
    old = make_posting(enterprise, end_date=today - dt.timedelta(days=1))
    current = make_posting(enterprise, end_date=today)
    draft = make_posting(enterprise, status=PostingStatus.DRAFT, end_date=today - dt.timedelta(days=3))
    assert postings_close_expired() == 1
    old.refresh_from_db(), current.refresh_from_db(), draft.refresh_from_db()
    assert (old.status, current.status, draft.status) == ("closed", "published", "draft")
    event = AuditEvent.objects.get(object_type="jobs.posting", object_id=str(old.pk), action="status")
    assert event.actor_username == "system"
    assert event.changes["status"] == ["published", "closed"]


def test_pages_create_submit_review(client, people, enterprise):
    _login(client, people["employer"])
    response = client.post(reverse("jobs:posting_create"), {**_data(), "describe": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    posting = Posting.objects.get()
    assert posting.enterprise == enterprise
    assert posting.created_by == people["employer"]
    client.post(reverse("jobs:posting_transition", args=[posting.pk]), {"to": "submitted"})
    page = client.get(reverse("jobs:posting_detail", args=[posting.pk])).content.decode()
    assert 'data-testid="to-published"' not in page  # the employer cannot publish
    _login(client, people["specialist"])
    page = client.get(reverse("jobs:posting_detail", args=[posting.pk])).content.decode()
    assert 'data-testid="to-published"' in page
    client.post(reverse("jobs:posting_transition", args=[posting.pk]), {"to": "published"})
    posting.refresh_from_db()
    assert posting.status == "published"
    assert posting.reviewed_by == people["specialist"]


def test_form_shows_gender_refusal(client, people, enterprise):
    _login(client, people["employer"])
    response = client.post(reverse("jobs:posting_create"), {**_data(title="保洁 限女性")})
    assert response.status_code == 200
    page = response.content.decode()
    assert "限女" in page
    assert "就业促进法" in page or "Employment Promotion Law" in page
    assert not Posting.objects.exists()


def test_employer_sees_only_own_postings(client, people, enterprise):
    mine = make_posting(enterprise, title="本企业岗位")
    other = make_posting(people["other_employer"].enterprise, title="别家岗位")
    _login(client, people["employer"])
    page = client.get(reverse("jobs:posting_list")).content.decode()
    assert "本企业岗位" in page
    assert "别家岗位" not in page
    for name in ("jobs:posting_detail", "jobs:posting_edit"):
        assert client.get(reverse(name, args=[other.pk])).status_code == 404
    assert (
        client.post(reverse("jobs:posting_transition", args=[other.pk]), {"to": "closed"}).status_code == 404
    )
    other.refresh_from_db()
    assert other.status == "published"
    assert client.get(reverse("jobs:posting_detail", args=[mine.pk])).status_code == 200


def test_staff_of_another_county_get_404(client, people, enterprise):
    posting = make_posting(enterprise)
    _login(client, people["other_county_admin"])
    assert client.get(reverse("jobs:posting_detail", args=[posting.pk])).status_code == 404
    assert "测试岗位" not in client.get(reverse("jobs:posting_list")).content.decode()


def test_export_is_scoped_and_audited(client, people, enterprise):
    from io import BytesIO

    from openpyxl import load_workbook

    make_posting(enterprise, title="伊川岗位")
    make_posting(people["other_employer"].enterprise, title="偃师岗位")
    _login(client, people["county_admin"])
    response = client.get(reverse("jobs:posting_export"))
    titles = [
        row[1]
        for row in load_workbook(BytesIO(response.content)).active.iter_rows(min_row=2, values_only=True)
    ]
    assert titles == ["伊川岗位"]
    assert AuditEvent.objects.filter(object_type="jobs.posting", action="export").exists()
