"""My applications: the list, one application with its history, withdrawing it; nobody else's."""

from __future__ import annotations

import pytest
from django.urls import reverse

from wengang.audit.models import AuditEvent
from wengang.jobs.models import Referral
from wengang.jobs.referrals import referral_record
from wengang.workers.tests.pages_fixtures import *  # noqa: F403  (the fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def application(worker_a, postings):
    return referral_record(actor=worker_a, person=worker_a.person, posting=postings[0], source="self")


def test_list_and_detail_show_my_application(client_a, application):
    listing = client_a.get(reverse("workers:applications"))
    assert [r.pk for r in listing.context["applications"]] == [application.pk]
    detail = client_a.get(reverse("workers:application_detail", args=[application.pk]))
    assert detail.status_code == 200
    assert detail.context["is_open"]
    assert [e.state for e in detail.context["events"]] == ["recommended"]


def test_another_worker_gets_404_and_cannot_withdraw(client_b, application):
    assert client_b.get(reverse("workers:application_detail", args=[application.pk])).status_code == 404
    assert client_b.post(reverse("workers:application_withdraw", args=[application.pk])).status_code == 404
    application.refresh_from_db()
    assert application.state == "recommended"
    assert client_b.get(reverse("workers:applications")).context["applications"] == []


def test_withdraw_my_open_application(client_a, worker_a, application):
    url = reverse("workers:application_withdraw", args=[application.pk])
    response = client_a.post(url, {"reason": "found_other"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.state, application.reason) == ("withdrawn", "found_other")
    assert list(application.events.values_list("state", flat=True).order_by("id")) == [
        "recommended",
        "withdrawn",
    ]
    event = AuditEvent.objects.filter(object_type="jobs.referral", action="status").get()
    assert event.actor_id == worker_a.pk
    # A second withdrawal changes nothing.
    client_a.post(url)
    assert Referral.objects.get().events.count() == 2
    page = client_a.get(reverse("workers:application_detail", args=[application.pk])).content.decode()
    assert 'data-testid="withdraw"' not in page


def test_withdraw_service_refuses_another_persons_referral(worker_b, application):
    from django.core.exceptions import PermissionDenied

    from wengang.jobs.referrals import referral_withdraw_own

    with pytest.raises(PermissionDenied):
        referral_withdraw_own(actor=worker_b, referral=application)
    application.refresh_from_db()
    assert application.state == "recommended"


def test_after_withdrawing_i_may_apply_again(client_a, application, postings):
    client_a.post(reverse("workers:application_withdraw", args=[application.pk]))
    client_a.post(reverse("workers:job_apply", args=[postings[0].pk]))
    assert sorted(Referral.objects.values_list("state", flat=True)) == ["recommended", "withdrawn"]
