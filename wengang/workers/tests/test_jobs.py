"""Jobs: search and filter the public postings, a posting page, “我要报名” and “不感兴趣”."""

from __future__ import annotations

import pytest
from django.urls import reverse

from wengang.accounts.tests.factories import make_user
from wengang.audit.models import AuditEvent
from wengang.jobs.models import Referral
from wengang.matching.models import Recommendation
from wengang.workers.models import Dismissal
from wengang.workers.tests.pages_fixtures import *  # noqa: F403  (the fixtures)
from wengang.workers.tests.pages_fixtures import recommend

pytestmark = pytest.mark.django_db


def test_search_filters_by_keyword_pay_and_board(client_a, postings):
    titles = lambda r: sorted(c["posting"].title for c in r.context["cards"])  # noqa: E731
    assert titles(client_a.get(reverse("workers:jobs"))) == ["仓库管理员", "叉车司机", "电子厂普工"]
    assert titles(client_a.get(reverse("workers:jobs"), {"q": "叉车"})) == ["叉车司机"]
    assert titles(client_a.get(reverse("workers:jobs"), {"min_pay": "5500"})) == ["叉车司机", "电子厂普工"]
    assert titles(client_a.get(reverse("workers:jobs"), {"board": "both"})) == ["电子厂普工"]
    assert titles(client_a.get(reverse("workers:jobs"), {"county": "410329"})) == [
        "仓库管理员",
        "叉车司机",
        "电子厂普工",
    ]


def test_posting_page_shows_reasons_and_apply_button(client_a, worker_a, postings):
    recommend(worker_a.person, postings[:1])
    response = client_a.get(reverse("workers:job_detail", args=[postings[0].pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "距家约 12 公里" in html
    assert 'data-testid="apply"' in html


def test_unpublished_posting_is_404(client_a, postings):
    postings[0].status = "draft"
    postings[0].save(update_fields=["status"])
    assert client_a.get(reverse("workers:job_detail", args=[postings[0].pk])).status_code == 404
    assert client_a.post(reverse("workers:job_apply", args=[postings[0].pk])).status_code == 404
    assert not Referral.objects.exists()


def test_apply_creates_a_self_referral_staff_see(client_a, worker_a, postings, people):
    from wengang.jobs.referrals import referral_list

    response = client_a.post(reverse("workers:job_apply", args=[postings[0].pk]), {"note": "下周可到岗"})
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("workers:application_detail", args=[referral.pk])
    assert (referral.person, referral.posting, referral.source, referral.state) == (
        worker_a.person,
        postings[0],
        "self",
        "recommended",
    )
    assert referral.created_by == worker_a
    assert referral.note == "下周可到岗"
    assert list(referral_list(user=people["specialist"])) == [referral]
    assert list(referral_list(user=people["employer"])) == []  # another enterprise's
    own_hr = make_user("t_emp_pages", "employer", "410329", enterprise=postings[0].enterprise)
    assert list(referral_list(user=own_hr)) == [referral]
    event = AuditEvent.objects.filter(object_type="jobs.referral").get()
    assert event.actor_id == worker_a.pk
    # Applying twice: refused, nothing new.
    client_a.post(reverse("workers:job_apply", args=[postings[0].pk]))
    assert Referral.objects.count() == 1
    page = client_a.get(reverse("workers:job_detail", args=[postings[0].pk])).content.decode()
    assert 'data-testid="applied"' in page


def test_dismiss_records_once_and_hides_the_recommendation(client_a, worker_a, postings):
    recommend(worker_a.person, postings[:2])
    url = reverse("workers:job_dismiss", args=[postings[0].pk])
    assert client_a.post(url).status_code == 302
    assert client_a.post(url).status_code == 302
    assert Dismissal.objects.filter(person=worker_a.person).count() == 1
    assert AuditEvent.objects.filter(object_type="workers.dismissal", actor_id=worker_a.pk).count() == 1
    home = client_a.get(reverse("workers:home"))
    assert [c["posting"].title for c in home.context["recommendations"]] == ["叉车司机"]


def test_get_is_not_allowed_on_actions(client_a, postings):
    assert client_a.get(reverse("workers:job_apply", args=[postings[0].pk])).status_code == 405
    assert client_a.get(reverse("workers:job_dismiss", args=[postings[0].pk])).status_code == 405


def test_match_run_does_not_store_dismissed_pairs(people, worker_a, postings):
    """The run's rows pass through the dismissal filter before they are stored."""
    from wengang.matching.runs import _without_dismissed

    run = recommend(worker_a.person, postings)
    rows = list(Recommendation.objects.filter(run=run))
    Dismissal.objects.create(person=worker_a.person, posting=postings[1])
    kept = _without_dismissed(run, rows)
    assert [r.posting_id for r in kept] == [postings[0].pk, postings[2].pk]


def test_a_full_match_run_skips_what_the_worker_dismissed(people, worker_a, postings):
    from wengang.matching.runs import match_run_create, match_run_execute
    from wengang.registry.services import EmploymentChange, employment_record

    employment_record(
        person=worker_a.person,
        change=EmploymentChange(
            status="unemployed_seeking", occurred_on=__import__("datetime").date(2026, 1, 5)
        ),
        source="staff",
        actor=people["county_admin"],
    )
    first = match_run_execute(run_id=match_run_create(actor=people["county_admin"], scope_code="410329").pk)
    stored = set(
        Recommendation.objects.filter(run=first, person=worker_a.person).values_list("posting_id", flat=True)
    )
    assert stored, "the seeker should get recommendations"
    dismissed = next(iter(stored))
    Dismissal.objects.create(person=worker_a.person, posting_id=dismissed)
    second = match_run_execute(run_id=match_run_create(actor=people["county_admin"], scope_code="410329").pk)
    again = set(
        Recommendation.objects.filter(run=second, person=worker_a.person).values_list("posting_id", flat=True)
    )
    assert again == stored - {dismissed}


def test_staff_views_of_recommendations_leave_out_dismissed_pairs(people, worker_a, worker_b, postings):
    from wengang.matching.selectors import person_recommendations, posting_candidates

    recommend(worker_a.person, postings)
    recommend(worker_b.person, postings)
    Dismissal.objects.create(person=worker_a.person, posting=postings[0])
    specialist = people["specialist"]
    mine = person_recommendations(user=specialist, person=worker_a.person)
    assert [r.posting_id for r in mine] == [postings[1].pk, postings[2].pk]
    candidates = posting_candidates(user=specialist, posting=postings[0])
    assert [r.person_id for r in candidates] == [worker_b.person.pk]
    assert [r.person_id for r in posting_candidates(user=specialist, posting=postings[1])] == sorted(
        [worker_a.person.pk, worker_b.person.pk]
    )
