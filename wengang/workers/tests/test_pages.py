"""The home page: recommendations with reasons (minus dismissed and applied postings), new messages, open
applications, the 131 contact; and the guards every worker page shares."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from wengang.assistance.tests.factories import make_case
from wengang.jobs.models import Referral
from wengang.workers.models import Dismissal
from wengang.workers.tests.pages_fixtures import *  # noqa: F403  (the fixtures)
from wengang.workers.tests.pages_fixtures import make_inbox_message, recommend

pytestmark = pytest.mark.django_db


def test_home_shows_recommendations_with_reasons_messages_and_hotline(client_a, worker_a, postings):
    recommend(worker_a.person, postings[:2])
    make_inbox_message(worker_a.person, body="新岗位：电子厂普工")
    with translation.override("en"):
        response = client_a.get(reverse("workers:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "电子厂普工" in html
    assert "叉车司机" in html
    assert "仓库管理员" not in html  # not recommended
    assert "距家约 12 公里" in html
    assert "新岗位：电子厂普工" in html
    assert "12333" in html  # no open case: the hotline
    assert response.context["unread_count"] == 1


def test_home_leaves_out_dismissed_applied_and_other_peoples_recommendations(
    client_a, worker_a, worker_b, postings
):
    recommend(worker_a.person, postings)
    recommend(worker_b.person, postings)
    Dismissal.objects.create(person=worker_a.person, posting=postings[0])
    Referral.objects.create(person=worker_a.person, posting=postings[1], source="self", state="recommended")
    response = client_a.get(reverse("workers:home"))
    titles = [card["posting"].title for card in response.context["recommendations"]]
    assert titles == ["仓库管理员"]
    assert [r.posting.title for r in response.context["applications"]] == ["叉车司机"]


def test_home_shows_the_specialist_of_an_open_priority_case(client_a, worker_a, people):
    specialist = people["specialist"]
    make_case(worker_a.person, specialist=specialist)
    response = client_a.get(reverse("workers:home"))
    contact = response.context["contact"]
    assert contact.is_specialist
    assert contact.name == specialist.full_name
    assert contact.phone == "13912345678"
    assert "13912345678" in response.content.decode()


def test_home_hides_recommendations_of_postings_no_longer_public(client_a, worker_a, postings):
    recommend(worker_a.person, postings[:2])
    postings[0].status = "closed"
    postings[0].save(update_fields=["status"])
    response = client_a.get(reverse("workers:home"))
    assert [c["posting"].title for c in response.context["recommendations"]] == ["叉车司机"]


@pytest.mark.parametrize(
    "name", ["workers:home", "workers:jobs", "workers:applications", "workers:messages", "workers:me"]
)
def test_anonymous_goes_to_login_and_staff_are_refused(client, people, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("workers:login"))
    client.force_login(people["specialist"], backend="wengang.accounts.backends.StaffBackend")
    assert client.get(reverse(name)).status_code == 403


def test_pages_render_without_javascript_and_label_every_field(client_a, worker_a, postings):
    recommend(worker_a.person, postings)
    for name in [
        "workers:home",
        "workers:jobs",
        "workers:me",
        "workers:me_status",
        "workers:me_skills",
        "workers:me_correction",
        "workers:messages",
        "workers:applications",
    ]:
        html = client_a.get(reverse(name)).content.decode()
        assert "<script" not in html, name
        import re

        for field_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html):
            assert f'for="{field_id}"' in html, (name, field_id)
