"""The 131 pages and API: scope (another township's or county's case is 404), the dashboard's counts,
the viewer's name-free dashboard, adding records through the page and the API, export and the person tag."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from wengang.assistance.models import PriorityCase, ServiceRecord
from wengang.assistance.services import record_add
from wengang.audit.models import AuditEvent
from wengang.jobs.tests.factories import make_posting

from .factories import make_case, make_person

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
BACKEND = "wengang.accounts.backends.StaffBackend"


@pytest.fixture
def three_cases(people):
    admin = people["city_admin"]
    return {
        "own": make_case(
            make_person(admin, "410329001", 301, category="unstable"),
            specialist=people["specialist"],
            reason="unstable",
        ),
        "township": make_case(
            make_person(admin, "410329002", 302, category="marginal"),
            due_date=TODAY - dt.timedelta(days=3),
            reason="marginal",
        ),
        "county": make_case(make_person(admin, "410307", 303, three_without=True), reason="three_without"),
    }


def _login(client, user):
    client.force_login(user, backend=BACKEND)


@pytest.mark.parametrize("key", ["township", "county"])
def test_specialist_gets_404_outside_their_township(client, people, three_cases, key):
    _login(client, people["specialist"])
    case = three_cases[key]
    assert client.get(reverse("assistance:case_detail", args=[case.pk])).status_code == 404
    response = client.post(
        reverse("assistance:record_add", args=[case.pk]), {"kind": "guidance", "date": TODAY, "content": "x"}
    )
    assert response.status_code == 404
    assert client.get(f"/api/v1/assistance/cases/{case.pk}").status_code == 404
    assert not ServiceRecord.objects.exists()


def test_list_shows_own_cases_with_ticks(client, people, three_cases):
    _login(client, people["specialist"])
    response = client.get(reverse("assistance:case_list"))
    assert response.status_code == 200
    names = [c.person.name for c in response.context["page"]]
    assert names == [three_cases["own"].person.name]
    assert b'data-testid="ticks"' in response.content
    assert AuditEvent.objects.filter(object_type="assistance.case", action="view").exists()

    _login(client, people["county_admin"])
    response = client.get(reverse("assistance:case_list"), {"overdue": "1"})
    assert [c.pk for c in response.context["page"]] == [three_cases["township"].pk]


def test_record_added_through_the_page(client, people, three_cases):
    case = three_cases["own"]
    posting = make_posting(people["employer"].enterprise)
    _login(client, people["specialist"])
    url = reverse("assistance:record_add", args=[case.pk])
    response = client.post(
        url, {"kind": "job_offer", "date": TODAY, "posting": posting.pk, "channel": "phone"}
    )
    assert response.status_code == 302
    record = ServiceRecord.objects.get()
    assert (record.posting, record.channel, record.by) == (posting, "phone", people["specialist"])

    draft = make_posting(people["employer"].enterprise, status="draft")
    response = client.post(url, {"kind": "job_offer", "date": TODAY, "posting": draft.pk, "channel": "phone"})
    assert response.status_code == 200
    assert "已发布" in response.content.decode() or "published" in response.content.decode()
    assert ServiceRecord.objects.count() == 1

    detail = client.get(reverse("assistance:case_detail", args=[case.pk]))
    assert posting.title in detail.content.decode()


def test_open_case_from_a_person_page(client, people, person_in_township):
    _login(client, people["specialist"])
    url = reverse("assistance:case_open", args=[person_in_township.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason_note": "因病致困", "due_date": TODAY + dt.timedelta(days=10)})
    case = PriorityCase.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"/{case.pk}/")
    assert case.reason_note == "因病致困"
    assert case.due_date == TODAY + dt.timedelta(days=10)


def test_dashboard_counts(client, people, three_cases):
    actor = people["city_admin"]
    enterprise = people["employer"].enterprise
    own = three_cases["own"]
    record_add(actor=actor, case=own, kind="guidance", date=TODAY, content="指导")
    for i in range(3):
        posting = make_posting(enterprise, title=f"岗位{i}")
        record_add(actor=actor, case=own, kind="job_offer", date=TODAY, posting=posting, channel="sms")
    record_add(actor=actor, case=own, kind="training_taken", date=TODAY, programme="焊工")

    _login(client, people["county_admin"])
    data = client.get(reverse("assistance:dashboard")).context
    assert data["totals"]["cases"] == 2
    assert data["totals"]["complete"] == 1
    assert data["totals"]["overdue"] == 1
    assert data["totals"]["rate"] == 50.0
    areas = {a["area"]: (a["cases"], a["complete"], a["overdue"]) for a in data["areas"]}
    assert areas == {"410329001": (1, 1, 0), "410329002": (1, 0, 1)}
    assert [(c["specialist"], c["open"], c["complete"]) for c in data["caseload"]] == [
        (people["specialist"].pk, 1, 1)
    ]

    _login(client, people["city_admin"])
    data = client.get(reverse("assistance:dashboard")).context
    areas = {a["area"]: (a["cases"], a["complete"]) for a in data["areas"]}
    assert areas == {"410307": (1, 0), "410329": (2, 1)}


def test_viewer_sees_the_dashboard_without_names(client, people, three_cases):
    _login(client, people["viewer"])
    response = client.get(reverse("assistance:dashboard"))
    assert response.status_code == 200
    body = response.content.decode()
    assert response.context["totals"]["cases"] == 3
    for case in three_cases.values():
        assert case.person.name not in body
    assert people["specialist"].full_name not in body
    assert 'data-testid="caseload-table"' not in body
    assert client.get(reverse("assistance:case_list")).status_code == 403
    assert client.get("/api/v1/assistance/cases").status_code == 403


def test_export_is_scoped_and_audited(client, people, three_cases):
    _login(client, people["specialist"])
    response = client.get(reverse("assistance:case_export"), {"status": "open"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][0] == three_cases["own"].person.name
    assert "*" in rows[1][1]  # masked ID
    event = AuditEvent.objects.filter(action="export", object_type="assistance.case").get()
    assert event.changes["rows"] == 1


def test_api_list_detail_and_record(client, people, three_cases):
    _login(client, people["county_admin"])
    response = client.get("/api/v1/assistance/cases", {"reason": "marginal"})
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["id"] for i in items] == [three_cases["township"].pk]
    assert items[0]["overdue"] is True
    assert items[0]["progress"] == {"guidance": 0, "job_offers": 0, "training": 0, "complete": False}

    case = three_cases["own"]
    url = f"/api/v1/assistance/cases/{case.pk}/records"
    posting = make_posting(people["employer"].enterprise)
    ok = client.post(
        url,
        {"kind": "job_offer", "date": str(TODAY), "posting_id": posting.pk, "channel": "wechat"},
        content_type="application/json",
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["posting_title"] == posting.title
    bad = client.post(
        url,
        {"kind": "guidance", "date": str(TODAY + dt.timedelta(days=2)), "content": "x"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "date" in bad.json()["detail"]
    detail = client.get(f"/api/v1/assistance/cases/{case.pk}").json()
    assert detail["progress"]["job_offers"] == 1
    assert [r["kind"] for r in detail["records"]] == ["job_offer"]
    assert client.get(f"/api/v1/assistance/cases/{three_cases['county'].pk}").status_code == 404


def test_person_case_tag(people, three_cases, person_in_township):
    template = Template("{% load assistance_tags %}{% person_case person %}")
    request = RequestFactory().get("/")
    request.user = people["specialist"]
    html = template.render(Context({"request": request, "person": three_cases["own"].person}))
    assert 'data-testid="person-case"' in html
    assert "0/3" in html
    html = template.render(Context({"request": request, "person": person_in_township}))
    assert reverse("assistance:case_open", args=[person_in_township.pk]) in html
    request.user = people["viewer"]
    assert "person-case" not in template.render(Context({"request": request, "person": person_in_township}))
