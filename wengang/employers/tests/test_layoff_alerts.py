"""Layoffs and the mass-layoff alert (Labour Contract Law Art. 41: ≥ 20 people or ≥ 10% of the staff)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from wengang.audit.models import AuditEvent
from wengang.employers.models import Enterprise, LayoffReport, is_mass_layoff
from wengang.employers.report_selectors import alerts, open_alert_count
from wengang.employers.reports import layoff_acknowledge, layoff_report

BACKEND = "wengang.accounts.backends.StaffBackend"
TODAY = timezone.localdate()
D1 = TODAY - dt.timedelta(days=3)

pytestmark = pytest.mark.django_db

THRESHOLDS = [
    (19, 1000, False),
    (20, 1000, True),
    (9, 100, False),
    (10, 100, True),
    (1, 5, True),  # 20% of a small workshop
    (1, 11, False),
    (19, 190, True),
]


@pytest.mark.parametrize(("laid_off", "staff", "mass"), THRESHOLDS)
def test_threshold_table(laid_off, staff, mass):
    assert is_mass_layoff(laid_off, staff) is mass


@pytest.mark.parametrize(("laid_off", "staff", "mass"), THRESHOLDS)
def test_layoff_report_raises_an_alert_at_the_threshold(people, laid_off, staff, mass):
    enterprise = people["employer"].enterprise
    layoff = layoff_report(
        actor=people["employer"],
        enterprise=enterprise,
        reported_on=D1,
        people=laid_off,
        staff_before=staff,
        reason="订单减少",
    )
    assert layoff.is_mass is mass
    assert layoff.alert_state == ("open" if mass else "")
    assert open_alert_count(people["county_admin"]) == (1 if mass else 0)
    enterprise.refresh_from_db()
    assert enterprise.staff_count == staff - laid_off
    event = AuditEvent.objects.get(object_type="employers.layoff", object_id=str(layoff.pk))
    assert (event.action, event.changes["is_mass"], event.changes["people"]) == ("create", mass, laid_off)


def test_staff_before_defaults_to_the_staff_count_and_is_required_when_unknown(people):
    enterprise = people["employer"].enterprise
    assert enterprise.staff_count is None
    with translation.override("en"), pytest.raises(ValidationError) as info:
        layoff_report(
            actor=people["employer"], enterprise=enterprise, reported_on=D1, people=3, reason="停产"
        )
    assert "staff_before" in info.value.message_dict
    assert "Staff before the layoff" in info.value.message_dict["staff_before"][0]
    assert LayoffReport.objects.count() == 0
    assert not AuditEvent.objects.filter(object_type="employers.layoff").exists()

    Enterprise.objects.filter(pk=enterprise.pk).update(staff_count=150)
    enterprise.refresh_from_db()
    layoff = layoff_report(
        actor=people["employer"], enterprise=enterprise, reported_on=D1, people=15, reason="停产"
    )
    assert (layoff.staff_before, layoff.is_mass) == (150, True)  # 10% of 150
    enterprise.refresh_from_db()
    assert enterprise.staff_count == 135
    second = layoff_report(
        actor=people["employer"], enterprise=enterprise, reported_on=TODAY, people=2, reason="合同到期"
    )
    assert (second.staff_before, second.is_mass) == (135, False)
    enterprise.refresh_from_db()
    assert enterprise.staff_count == 133


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"people": 11, "staff_before": 10}, "staff_before"),
        ({"people": 0, "staff_before": 10}, "people"),
        ({"people": 1, "staff_before": 10, "reason": "  "}, "reason"),
        ({"people": 1, "staff_before": 10, "reported_on": TODAY + dt.timedelta(days=2)}, "reported_on"),
    ],
)
def test_layoff_validation_names_the_field(people, kwargs, field):
    args = {"reported_on": D1, "reason": "停产", **kwargs}
    with pytest.raises(ValidationError) as info:
        layoff_report(actor=people["county_admin"], enterprise=people["employer"].enterprise, **args)
    assert list(info.value.message_dict) == [field]
    assert LayoffReport.objects.count() == 0


def _mass(people, *, key="employer", n=30, on=D1):
    return layoff_report(
        actor=people["city_admin"],
        enterprise=people[key].enterprise,
        reported_on=on,
        people=n,
        staff_before=300,
        reason="订单减少",
    )


def test_alerts_are_visible_in_scope_only(client, people):
    yichuan = _mass(people)
    yanshi = _mass(people, key="other_employer")
    layoff_report(  # not a mass layoff: no alert
        actor=people["city_admin"],
        enterprise=people["employer"].enterprise,
        reported_on=D1,
        people=1,
        staff_before=100,
        reason="个人原因",
    )
    assert list(alerts(user=people["county_admin"])) == [yichuan]
    assert list(alerts(user=people["other_county_admin"])) == [yanshi]
    assert set(alerts(user=people["viewer"])) == {yichuan, yanshi}
    assert list(alerts(user=people["specialist"])) == []
    assert list(alerts(user=people["employer"])) == []
    assert open_alert_count(people["county_admin"]) == 1
    assert open_alert_count(people["viewer"]) == 2
    assert open_alert_count(people["employer"]) == 0

    for role, expected in (("county_admin", [yichuan]), ("viewer", [yanshi, yichuan])):
        client.force_login(people[role], backend=BACKEND)
        response = client.get(reverse("employers:alert_list"))
        assert response.status_code == 200
        assert sorted(a.pk for a in response.context["rows"]) == sorted(a.pk for a in expected)
    assert response.context["can_acknowledge"] is False  # leadership reads, does not acknowledge
    client.force_login(people["other_county_admin"], backend=BACKEND)
    response = client.get(reverse("employers:alert_list"))
    assert [a.pk for a in response.context["rows"]] == [yanshi.pk]
    assert "伊川测试企业" not in response.content.decode()
    assert client.get(reverse("employers:alert_acknowledge", args=[yichuan.pk])).status_code == 404
    client.force_login(people["specialist"], backend=BACKEND)
    assert client.get(reverse("employers:alert_list")).status_code == 403


def test_open_alerts_come_first(people):
    old_open = _mass(people, on=TODAY - dt.timedelta(days=20))
    new_done = _mass(people, on=TODAY)
    layoff_acknowledge(actor=people["county_admin"], layoff=new_done, note="已走访企业")
    assert [a.pk for a in alerts(user=people["county_admin"])] == [old_open.pk, new_done.pk]


def test_acknowledging_is_audited(people):
    layoff = _mass(people)
    admin = people["county_admin"]
    layoff_acknowledge(actor=admin, layoff=layoff, note="已约谈企业，核实裁员方案")
    layoff.refresh_from_db()
    assert (layoff.alert_state, layoff.acknowledged_by) == ("acknowledged", admin)
    assert layoff.acknowledged_at is not None
    event = AuditEvent.objects.filter(object_type="employers.layoff", action="status").get()
    assert event.object_id == str(layoff.pk)
    assert event.actor_id == admin.pk
    assert event.changes["alert_state"] == ["open", "acknowledged"]
    assert event.reason == "已约谈企业，核实裁员方案"
    assert open_alert_count(admin) == 0
    with pytest.raises(ValidationError):
        layoff_acknowledge(actor=admin, layoff=layoff, note="再次确认")


def test_acknowledging_is_refused_out_of_scope_for_viewers_and_without_a_note(people):
    layoff = _mass(people)
    for user in (people["other_county_admin"], people["viewer"], people["employer"]):
        with pytest.raises(PermissionDenied):
            layoff_acknowledge(actor=user, layoff=layoff, note="已处理")
    with pytest.raises(ValidationError) as info:
        layoff_acknowledge(actor=people["county_admin"], layoff=layoff, note="   ")
    assert "note" in info.value.message_dict
    layoff.refresh_from_db()
    assert (layoff.alert_state, layoff.acknowledged_by) == ("open", None)
    assert not AuditEvent.objects.filter(object_type="employers.layoff", action="status").exists()


def test_acknowledge_page(client, people):
    layoff = _mass(people)
    client.force_login(people["county_admin"], backend=BACKEND)
    url = reverse("employers:alert_acknowledge", args=[layoff.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"note": ""}).status_code == 200
    response = client.post(url, {"note": "已走访，安排转岗"})
    assert response.status_code == 302
    layoff.refresh_from_db()
    assert layoff.alert_state == "acknowledged"
    client.force_login(people["viewer"], backend=BACKEND)
    assert client.post(url, {"note": "x"}).status_code == 403


def test_layoff_page_for_staff_and_employer(client, people):
    client.force_login(people["employer"], backend=BACKEND)
    response = client.post(
        reverse("employers:layoff_create"),
        {"reported_on": D1.isoformat(), "people": "25", "staff_before": "500", "reason": "生产线搬迁"},
    )
    assert response.status_code == 302
    layoff = LayoffReport.objects.get()
    assert (layoff.enterprise, layoff.is_mass, layoff.created_by) == (
        people["employer"].enterprise,
        True,
        people["employer"],
    )
    listing = client.get(reverse("employers:layoff_list"))
    assert [row.pk for row in listing.context["rows"]] == [layoff.pk]
    assert listing.context["rows"][0].share_pct == 5.0

    client.force_login(people["other_county_admin"], backend=BACKEND)
    assert list(client.get(reverse("employers:layoff_list")).context["rows"]) == []
    response = client.post(
        reverse("employers:layoff_create"),
        {
            "enterprise": str(people["employer"].enterprise.pk),
            "reported_on": D1.isoformat(),
            "people": "1",
            "staff_before": "5",
            "reason": "x",
        },
    )
    assert response.status_code == 200
    assert "enterprise" in response.context["form"].errors
    assert LayoffReport.objects.count() == 1


def test_layoff_export_is_scoped_and_audited(client, people):
    import io

    from openpyxl import load_workbook

    own = _mass(people)
    _mass(people, key="other_employer")
    client.force_login(people["county_admin"], backend=BACKEND)
    response = client.get(reverse("employers:layoff_export"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[4], r[5], r[6]) for r in rows] == [(own.enterprise.name, 30, 300, 10.0)]
    event = AuditEvent.objects.get(object_type="employers.layoff", action="export")
    assert (event.actor_id, event.changes["rows"]) == (people["county_admin"].pk, 1)
