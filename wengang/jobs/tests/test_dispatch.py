"""The key-enterprise dispatch board: ranking by shortfall, pipeline counted, no personal data, scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from wengang.employers.tests.factories import make_enterprise
from wengang.jobs.choices import PostingStatus
from wengang.jobs.dispatch import DispatchFilters, dispatch_board
from wengang.jobs.models import Referral
from wengang.jobs.tests.factories import make_posting

pytestmark = pytest.mark.django_db


def _key(name, area="410329001", category="key_industrial_chain"):
    e = make_enterprise(name=name, area_code=area)
    e.key_category = category
    e.save()
    return e


def test_ranked_by_shortfall_then_start(people, person_in_township):
    today = timezone.localdate()
    a = _key("甲企业")
    b = _key("乙企业", category="medical_supplies")
    c = _key("丙企业")
    ordinary = make_enterprise(name="普通企业", area_code="410329001")
    make_posting(a, headcount=10, filled_count=2, start_date=today + dt.timedelta(days=20))
    pb = make_posting(b, headcount=10, filled_count=0, start_date=today + dt.timedelta(days=3))
    make_posting(c, headcount=10, filled_count=2, start_date=today + dt.timedelta(days=5))
    make_posting(c, headcount=4, status=PostingStatus.CLOSED)  # closed postings do not count
    make_posting(ordinary, headcount=50)
    Referral.objects.create(person=person_in_township, posting=pb, source="staff", state="interviewing")
    Referral.objects.create(person=person_in_township, posting=pb, source="staff", state="declined")
    rows = dispatch_board(user=people["county_admin"])
    assert [(r.enterprise.name, r.shortfall) for r in rows] == [("乙企业", 9), ("丙企业", 8), ("甲企业", 8)]
    assert rows[0].pipeline == 1
    assert rows[0].days_to_start == 3
    only_medical = dispatch_board(
        user=people["county_admin"], filters=DispatchFilters(category="medical_supplies")
    )
    assert [r.enterprise.name for r in only_medical] == ["乙企业"]


def test_scope_and_roles(client, people):
    make_posting(_key("伊川重点"), headcount=3)
    make_posting(_key("偃师重点", area="410307001"), headcount=3)
    assert [r.enterprise.name for r in dispatch_board(user=people["county_admin"])] == ["伊川重点"]
    assert [r.enterprise.name for r in dispatch_board(user=people["other_county_admin"])] == ["偃师重点"]
    assert len(dispatch_board(user=people["city_admin"])) == 2
    assert dispatch_board(user=people["employer"]) == []
    client.force_login(people["viewer"], backend="wengang.accounts.backends.StaffBackend")
    page = client.get(reverse("jobs:dispatch_board")).content.decode()
    assert "伊川重点" in page
    assert "偃师重点" in page
    client.force_login(people["employer"], backend="wengang.accounts.backends.StaffBackend")
    assert client.get(reverse("jobs:dispatch_board")).status_code == 403


def test_leadership_board_has_no_personal_data(client, people, person_in_township):
    posting = make_posting(_key("重点甲"), headcount=3)
    Referral.objects.create(person=person_in_township, posting=posting, source="staff")
    client.force_login(people["viewer"], backend="wengang.accounts.backends.StaffBackend")
    page = client.get(reverse("jobs:dispatch_board")).content.decode()
    assert "重点甲" in page
    assert person_in_township.name not in page
    assert person_in_township.id_masked not in page


def test_export(client, people):
    from io import BytesIO

    from openpyxl import load_workbook

    make_posting(_key("导出企业"), headcount=7)
    client.force_login(people["county_admin"], backend="wengang.accounts.backends.StaffBackend")
    response = client.get(reverse("jobs:dispatch_export"))
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(min_row=2, values_only=True))
    assert rows[0][1] == "导出企业"
    assert rows[0][8] == 7
