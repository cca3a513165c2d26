"""Staff reports with retention measures: validation, replacement, scope, pages, the retention summary."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from wengang.audit.models import AuditEvent
from wengang.employers.models import Enterprise, RetentionMeasure, StaffReport
from wengang.employers.report_selectors import ReportFilters, retention_summary, staff_reports
from wengang.employers.reports import layoff_report, staff_report_submit
from wengang.employers.tests.factories import make_enterprise

BACKEND = "wengang.accounts.backends.StaffBackend"
TODAY = timezone.localdate()
D1 = TODAY - dt.timedelta(days=10)
D2 = TODAY - dt.timedelta(days=5)

pytestmark = pytest.mark.django_db


def _submit(actor, enterprise, *, on=D1, payroll=100, staying=40, measures=(), notes=""):
    return staff_report_submit(
        actor=actor,
        enterprise=enterprise,
        reported_on=on,
        staff_on_payroll=payroll,
        staying_over=staying,
        measures=list(measures),
        notes=notes,
    )


def _login(client, user):
    client.force_login(user, backend=BACKEND)


def test_submit_records_measures_updates_staff_count_and_audits(people):
    employer = people["employer"]
    enterprise = employer.enterprise
    report = _submit(
        employer, enterprise, measures=[("bonus", 20000, 40), ("gift", 4000, 40), ("culture", 0, 25)]
    )
    assert (report.staff_on_payroll, report.staying_over, report.created_by) == (100, 40, employer)
    assert sorted(report.measures.values_list("kind", "amount", "people_covered")) == [
        ("bonus", 20000, 40),
        ("culture", 0, 25),
        ("gift", 4000, 40),
    ]
    enterprise.refresh_from_db()
    assert enterprise.staff_count == 100
    event = AuditEvent.objects.get(object_type="employers.staff_report", object_id=str(report.pk))
    assert event.action == "create"
    assert event.actor_id == employer.pk
    assert event.changes["after"]["measures"]["bonus"] == {"amount": 20000, "people_covered": 40}
    assert event.changes["staff_count"] == [None, 100]


def test_replacing_a_report_is_audited_with_before_and_after(people):
    admin = people["county_admin"]
    enterprise = people["employer"].enterprise
    first = _submit(admin, enterprise, payroll=100, staying=40, measures=[("bonus", 20000, 40)])
    second = _submit(admin, enterprise, payroll=120, staying=30, measures=[("gift", 3000, 30)])
    assert second.pk == first.pk
    assert StaffReport.objects.filter(enterprise=enterprise).count() == 1
    assert list(second.measures.values_list("kind", "amount", "people_covered")) == [("gift", 3000, 30)]
    assert RetentionMeasure.objects.filter(report=second).count() == 1
    event = AuditEvent.objects.filter(object_type="employers.staff_report").order_by("-id").first()
    assert event.action == "update"
    assert event.changes["replaced"] is True
    assert event.changes["before"]["staff_on_payroll"] == 100
    assert event.changes["before"]["measures"] == {"bonus": {"amount": 20000, "people_covered": 40}}
    assert event.changes["after"]["staff_on_payroll"] == 120
    assert event.changes["after"]["measures"] == {"gift": {"amount": 3000, "people_covered": 30}}
    enterprise.refresh_from_db()
    assert enterprise.staff_count == 120


def test_an_older_report_does_not_override_the_latest_staff_count(people):
    admin = people["county_admin"]
    enterprise = people["employer"].enterprise
    _submit(admin, enterprise, on=D2, payroll=150, staying=10)
    _submit(admin, enterprise, on=D1, payroll=90, staying=10)
    enterprise.refresh_from_db()
    assert enterprise.staff_count == 150


@pytest.mark.parametrize(
    ("kwargs", "field", "text"),
    [
        ({"payroll": 10, "staying": 11}, "staying_over", "cannot exceed the staff on payroll"),
        ({"staying": 5, "measures": [("bonus", 100, 6)]}, "bonus_people", "Retention bonus people covered"),
        ({"measures": [("gift", -1, 0)]}, "gift_amount", "Festival gift amount"),
        ({"on": TODAY + dt.timedelta(days=1)}, "reported_on", "Report date"),
        ({"measures": [("board", 1, 1), ("board", 2, 2)]}, "measures", "more than once"),
        ({"measures": [("cash", 1, 1)]}, "measures", "unknown kind"),
        ({"payroll": -3}, "staff_on_payroll", "Staff on payroll"),
    ],
)
def test_validation_names_the_field_and_writes_nothing(people, kwargs, field, text):
    enterprise = people["employer"].enterprise
    events = AuditEvent.objects.count()
    with translation.override("en"), pytest.raises(ValidationError) as info:
        _submit(people["county_admin"], enterprise, **kwargs)
    assert field in info.value.message_dict
    assert any(text in m for m in info.value.message_dict[field])
    assert StaffReport.objects.count() == 0
    assert AuditEvent.objects.count() == events
    enterprise.refresh_from_db()
    assert enterprise.staff_count is None


def test_employer_cannot_report_for_another_enterprise(people):
    other = people["other_employer"].enterprise
    with pytest.raises(PermissionDenied):
        _submit(people["employer"], other)
    with pytest.raises(PermissionDenied):
        layoff_report(
            actor=people["employer"], enterprise=other, reported_on=D1, people=1, staff_before=10, reason="x"
        )
    assert StaffReport.objects.count() == 0
    other.refresh_from_db()
    assert other.staff_count is None


def test_staff_outside_the_area_and_viewers_are_refused(people):
    enterprise = people["employer"].enterprise
    for user in (people["other_county_admin"], people["specialist"], people["viewer"]):
        with pytest.raises(PermissionDenied):
            _submit(user, enterprise)
    assert StaffReport.objects.count() == 0


def test_employer_page_for_another_enterprise_is_404(client, people):
    other = people["other_employer"].enterprise
    _login(client, people["employer"])
    url = f"{reverse('employers:staff_report_create')}?enterprise={other.pk}"
    assert client.get(url).status_code == 404
    data = {"reported_on": D1.isoformat(), "staff_on_payroll": "50", "staying_over": "5"}
    assert client.post(url, data).status_code == 404
    assert client.get(f"{reverse('employers:layoff_create')}?enterprise={other.pk}").status_code == 404
    assert StaffReport.objects.count() == 0


def test_employer_reports_for_own_enterprise_through_the_form(client, people):
    employer = people["employer"]
    _login(client, employer)
    url = reverse("employers:staff_report_create")
    page = client.get(url)
    assert page.status_code == 200
    assert "bonus_amount" in page.content.decode()
    data = {
        "reported_on": D1.isoformat(),
        "staff_on_payroll": "80",
        "staying_over": "30",
        "bonus_amount": "15000",
        "bonus_people": "30",
        "training_amount": "",
        "training_people": "12",
        # An enterprise in the POST is ignored: the employer's own is fixed.
        "enterprise": str(people["other_employer"].enterprise.pk),
    }
    response = client.post(url, data)
    report = StaffReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("employers:staff_report_detail", args=[report.pk])
    assert report.enterprise == employer.enterprise
    assert sorted(report.measures.values_list("kind", "amount", "people_covered")) == [
        ("bonus", 15000, 30),
        ("training", 0, 12),
    ]
    detail = client.get(response["Location"])
    assert detail.status_code == 200
    assert "15,000" in detail.content.decode() or "15000" in detail.content.decode()


def test_form_shows_the_service_error_on_the_field(client, people):
    _login(client, people["county_admin"])
    enterprise = people["employer"].enterprise
    with translation.override("en"):
        response = client.post(
            reverse("employers:staff_report_create"),
            {
                "enterprise": str(enterprise.pk),
                "reported_on": D1.isoformat(),
                "staff_on_payroll": "10",
                "staying_over": "5",
                "gift_amount": "100",
                "gift_people": "9",
            },
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 200
    assert "gift_people" in response.context["form"].errors
    assert StaffReport.objects.count() == 0


def test_staff_pick_only_enterprises_in_scope(client, people):
    _login(client, people["county_admin"])
    other = people["other_employer"].enterprise
    response = client.post(
        reverse("employers:staff_report_create"),
        {
            "enterprise": str(other.pk),
            "reported_on": D1.isoformat(),
            "staff_on_payroll": "5",
            "staying_over": "0",
        },
    )
    assert response.status_code == 200
    assert "enterprise" in response.context["form"].errors
    assert StaffReport.objects.count() == 0


def test_list_is_scoped_filtered_and_audited(client, people):
    own = people["employer"].enterprise
    other = people["other_employer"].enterprise
    _submit(people["county_admin"], own, on=D1)
    _submit(people["county_admin"], own, on=D2, payroll=101)
    _submit(people["other_county_admin"], other, on=D2)
    assert {r.enterprise_id for r in staff_reports(user=people["county_admin"])} == {own.pk}
    assert {r.enterprise_id for r in staff_reports(user=people["city_admin"])} == {own.pk, other.pk}
    assert list(staff_reports(user=people["employer"], filters=ReportFilters(date_from=D2))) == list(
        StaffReport.objects.filter(enterprise=own, reported_on=D2)
    )
    assert (
        staff_reports(user=people["city_admin"], filters=ReportFilters(county="410307")).get().enterprise
        == other
    )
    assert staff_reports(user=people["city_admin"], filters=ReportFilters(q="伊川")).count() == 2

    _login(client, people["city_admin"])
    before = AuditEvent.objects.count()
    response = client.get(reverse("employers:staff_report_list"), {"county": "410307"})
    assert response.status_code == 200
    assert [r.enterprise for r in response.context["page"]] == [other]
    assert AuditEvent.objects.count() == before + 1
    _login(client, people["other_county_admin"])
    response = client.get(reverse("employers:staff_report_list"))
    assert [r.enterprise for r in response.context["page"]] == [other]


def test_retention_summary_uses_the_latest_report_per_enterprise(people):
    admin = people["city_admin"]
    yichuan = people["employer"].enterprise
    yanshi = people["other_employer"].enterprise
    second = make_enterprise(name="伊川第二企业", area_code="410329001")
    _submit(admin, yichuan, on=D1, payroll=100, staying=50, measures=[("bonus", 9999, 50)])
    _submit(admin, yichuan, on=D2, payroll=110, staying=40, measures=[("bonus", 8000, 40), ("gift", 500, 10)])
    _submit(admin, second, on=D1, payroll=30, staying=20, measures=[("bonus", 2000, 20)])
    _submit(admin, yanshi, on=D1, payroll=60, staying=6, measures=[("board", 600, 6)])
    # Outside the period: not counted.
    _submit(admin, yanshi, on=TODAY - dt.timedelta(days=200), payroll=999, staying=1)

    rows, total = retention_summary(user=admin, date_from=TODAY - dt.timedelta(days=30), date_to=TODAY)
    by_code = {r.code: r for r in rows}
    assert list(by_code) == ["410307", "410329"]
    yc = by_code["410329"]
    assert (yc.enterprises, yc.staff_on_payroll, yc.staying_over) == (2, 140, 60)
    assert (yc.amount["bonus"], yc.people["bonus"], yc.amount["gift"], yc.people["gift"]) == (
        10000,
        60,
        500,
        10,
    )
    assert (by_code["410307"].staff_on_payroll, by_code["410307"].amount["board"]) == (60, 600)
    assert (total.enterprises, total.staff_on_payroll, total.staying_over) == (3, 200, 66)

    # A county admin sees only their county.
    rows, total = retention_summary(
        user=people["county_admin"], date_from=TODAY - dt.timedelta(days=30), date_to=TODAY
    )
    assert [r.code for r in rows] == ["410329"]
    assert total.staff_on_payroll == 140


def test_retention_page_and_export_are_scoped_and_audited(client, people):
    admin = people["city_admin"]
    _submit(
        admin, people["employer"].enterprise, on=D1, payroll=100, staying=50, measures=[("bonus", 7000, 50)]
    )
    _submit(admin, people["other_employer"].enterprise, on=D1, payroll=60, staying=6)
    _login(client, people["viewer"])
    response = client.get(reverse("employers:retention_summary"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "vendor/echarts/echarts.min.js" in body
    assert 'id="retention-chart"' in body
    assert response.context["chart"]["payroll"] == [60, 100]
    assert AuditEvent.objects.filter(object_type="employers.retention_summary", action="view").count() == 1

    _login(client, people["county_admin"])
    response = client.get(
        reverse("employers:retention_export"),
        {"date_from": (TODAY - dt.timedelta(days=30)).isoformat(), "date_to": TODAY.isoformat()},
    )
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    by_county, by_enterprise = wb.worksheets
    assert by_county.max_row == 3  # header, 伊川县, total
    assert by_county.cell(row=2, column=3).value == 100
    assert [c.value for c in by_enterprise[2]][1] == people["employer"].enterprise.name
    assert by_enterprise.max_row == 2
    event = AuditEvent.objects.get(object_type="employers.retention_summary", action="export")
    assert event.actor_id == people["county_admin"].pk
    assert event.changes["rows"] == 1

    _login(client, people["employer"])
    assert client.get(reverse("employers:retention_summary")).status_code == 403


def test_enterprise_include_shows_latest_report_and_layoffs(people):
    admin = people["county_admin"]
    enterprise = people["employer"].enterprise
    _submit(admin, enterprise, on=D1, payroll=100, staying=10)
    _submit(admin, enterprise, on=D2, payroll=200, staying=20, measures=[("gift", 1234, 20)])
    layoff_report(actor=admin, enterprise=enterprise, reported_on=TODAY, people=25, reason="订单减少")
    with translation.override("en"):
        html = render_to_string(
            "employers/_enterprise_reports.html", {"enterprise": Enterprise.objects.get(pk=enterprise.pk)}
        )
    assert f"Latest report ({D2.isoformat()})" in html
    assert "1,234" in html or "1234" in html
    assert "订单减少" in html
    assert f"{reverse('employers:layoff_create')}?enterprise={enterprise.pk}" in html
