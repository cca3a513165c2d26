"""Enterprise services and pages: credit-code checks, scope per role, the employer's own page, designation."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from stdnum.cn import uscc

from wengang.audit.models import Action, AuditEvent
from wengang.employers.models import Enterprise, KeyCategory
from wengang.employers.services import (
    enterprise_create,
    enterprise_designate,
    enterprise_update,
    uscc_check,
)
from wengang.employers.tests.factories import fictional_uscc, make_enterprise
from wengang.jobs.choices import PostingStatus
from wengang.jobs.tests.factories import make_posting

pytestmark = pytest.mark.django_db
BACKEND = "wengang.accounts.backends.StaffBackend"


def valid(body17: str) -> str:
    return body17 + uscc.calc_check_digit(body17)


GOOD = valid("91410329MA9K00001")  # fictional


def login(client, user):
    client.force_login(user, backend=BACKEND)
    return client


def wrong_check_digit(code: str) -> str:
    return code[:17] + ("1" if code[17] != "1" else "2")


# --- credit codes ------------------------------------------------------------------------------------


def test_uscc_valid_code_is_returned_as_is():
    assert uscc_check(GOOD) == GOOD


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (wrong_check_digit(GOOD), "The check digit is wrong."),
        (GOOD[:17], "A unified social credit code has 18 characters; this one has 17."),
        (GOOD + "1", "A unified social credit code has 18 characters; this one has 19."),
        ("", "Required."),
    ],
)
def test_uscc_rejected_with_reason(raw, reason):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        uscc_check(raw)
    assert exc.value.message_dict == {"uscc": [reason]}


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_uscc_letters_never_used_are_named(letter):
    code = GOOD[:9] + letter + GOOD[10:]
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        uscc_check(code)
    assert exc.value.message_dict["uscc"][0].startswith(f"Contains {letter};")


def test_uscc_lower_case_and_full_width_are_normalised():
    lower = GOOD.lower()
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in GOOD)
    assert uscc_check(lower) == GOOD
    assert uscc_check(full_width) == GOOD
    assert uscc_check(f" {GOOD[:8]} {GOOD[8:]} ") == GOOD


def test_create_normalises_code_and_sets_industry_section(people):
    enterprise = enterprise_create(
        actor=people["county_admin"],
        data={
            "uscc": GOOD.lower(),
            "name": "示例食品有限公司",
            "area_code": "410329",
            "industry_division": "13",
        },
    )
    enterprise.refresh_from_db()
    assert (enterprise.uscc, enterprise.industry_section, enterprise.industry_division) == (GOOD, "C", "13")
    event = AuditEvent.objects.filter(action=Action.CREATE, object_id=str(enterprise.pk)).get()
    assert event.actor_username == "t_county"


def test_duplicate_code_names_the_existing_enterprise(people):
    existing = people["employer"].enterprise
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        enterprise_create(
            actor=people["county_admin"],
            data={"uscc": existing.uscc, "name": "另一家", "area_code": "410329"},
        )
    assert exc.value.message_dict["uscc"] == [
        f"The credit code {existing.uscc} is already registered to 伊川测试企业."
    ]
    assert Enterprise.objects.filter(name="另一家").count() == 0


def test_area_outside_scope_and_unknown_area_refused(people):
    data = {"uscc": GOOD, "name": "示例", "area_code": "410307"}
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        enterprise_create(actor=people["county_admin"], data=data)
    assert exc.value.message_dict["area_code"] == ["The area 410307 is outside your area."]
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        enterprise_create(actor=people["county_admin"], data={**data, "area_code": "410329999"})
    assert exc.value.message_dict["area_code"] == ["No county, township or village has the code 410329999."]
    with pytest.raises(ValidationError):
        enterprise_create(
            actor=people["county_admin"], data={**data, "area_code": "410329", "industry_division": "99"}
        )
    assert not Enterprise.objects.filter(uscc=GOOD).exists()


def test_employer_cannot_create(people):
    with pytest.raises(PermissionDenied):
        enterprise_create(actor=people["employer"], data={"uscc": GOOD, "name": "x", "area_code": "410329"})


# --- updates -----------------------------------------------------------------------------------------


def test_employer_changes_only_contact_address_size(people):
    own = people["employer"].enterprise
    changed = enterprise_update(
        actor=people["employer"],
        enterprise=own,
        data={
            "contact_name": "王示例",
            "contact_phone": "0379-65000000",
            "size": "small",
            "address": "示例路1号",
        },
    )
    assert changed == ["address", "contact_name", "contact_phone", "size"]
    with pytest.raises(PermissionDenied):
        enterprise_update(actor=people["employer"], enterprise=own, data={"name": "改名"})
    own.refresh_from_db()
    assert own.name == "伊川测试企业"
    assert own.contact_name == "王示例"


def test_employer_cannot_update_another_enterprise(people):
    other = people["other_employer"].enterprise
    with pytest.raises(PermissionDenied):
        enterprise_update(actor=people["employer"], enterprise=other, data={"contact_name": "x"})
    other.refresh_from_db()
    assert other.contact_name == ""


def test_county_admin_cannot_update_other_county(people):
    other = people["other_employer"].enterprise
    with pytest.raises(PermissionDenied):
        enterprise_update(actor=people["county_admin"], enterprise=other, data={"name": "改名"})
    other.refresh_from_db()
    assert other.name == "偃师测试企业"


def test_update_without_change_writes_no_audit(people):
    own = people["employer"].enterprise
    before = AuditEvent.objects.count()
    assert enterprise_update(actor=people["county_admin"], enterprise=own, data={"name": own.name}) == []
    assert AuditEvent.objects.count() == before


# --- designation -------------------------------------------------------------------------------------


def test_designation_records_who_and_when_and_is_audited(people):
    own = people["employer"].enterprise
    assert enterprise_designate(
        actor=people["county_admin"], enterprise=own, category=KeyCategory.DAILY_NECESSITIES
    )
    own.refresh_from_db()
    assert own.key_category == "daily_necessities"
    assert own.key_designated_by == people["county_admin"]
    assert own.key_designated_at is not None
    event = AuditEvent.objects.filter(object_type="employers.enterprise", object_id=str(own.pk)).latest("id")
    assert event.changes == {"key_category": ["", "daily_necessities"]}
    assert event.actor_username == "t_county"
    enterprise_designate(actor=people["city_admin"], enterprise=own, category="")
    own.refresh_from_db()
    assert (own.key_category, own.key_designated_by) == ("", people["city_admin"])


def test_designation_refused_for_specialist_and_out_of_scope(people):
    own = people["employer"].enterprise
    with pytest.raises(PermissionDenied):
        enterprise_designate(actor=people["specialist"], enterprise=own, category="major_project")
    with pytest.raises(PermissionDenied):
        enterprise_designate(actor=people["other_county_admin"], enterprise=own, category="major_project")
    own.refresh_from_db()
    assert own.key_category == ""
    assert own.key_designated_by is None


def test_designate_page(client, people):
    own = people["employer"].enterprise
    url = f"/enterprises/{own.pk}/designate/"
    assert login(client, people["specialist"]).get(url).status_code == 403
    login(client, people["county_admin"])
    assert client.post(url, {"category": "city_operation"}).status_code == 200  # confirmation missing
    own.refresh_from_db()
    assert own.key_category == ""
    response = client.post(url, {"category": "city_operation", "confirm": "on"})
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.key_category == "city_operation"
    page = client.get(f"/enterprises/{own.pk}/").content.decode()
    assert "测试t_county" in page


# --- pages and scope ---------------------------------------------------------------------------------


def test_list_scoped_with_counts_and_filters(client, people):
    own = people["employer"].enterprise
    make_posting(own, status=PostingStatus.PUBLISHED)
    make_posting(own, status=PostingStatus.CLOSED)
    make_enterprise(name="伊川第二企业", area_code="410329001")
    login(client, people["county_admin"])
    page = client.get("/enterprises/")
    assert page.status_code == 200
    rows = [(e.name, e.open_postings) for e, _area, _ind in page.context["rows"]]
    assert rows == [("伊川测试企业", 1), ("伊川第二企业", 0)]
    filtered = client.get("/enterprises/", {"area": "410329001"})
    assert [e.name for e, _a, _i in filtered.context["rows"]] == ["伊川第二企业"]
    by_code = client.get("/enterprises/", {"q": own.uscc.lower()})
    assert [e.name for e, _a, _i in by_code.context["rows"]] == ["伊川测试企业"]
    assert AuditEvent.objects.filter(action=Action.VIEW, object_type="employers.enterprise").count() == 3


def test_specialist_sees_own_township_only(client, people):
    township = make_enterprise(name="乡镇企业", area_code="410329001")
    login(client, people["specialist"])
    names = [e.name for e, _a, _i in client.get("/enterprises/").context["rows"]]
    assert names == ["乡镇企业"]
    assert client.get(f"/enterprises/{township.pk}/").status_code == 200
    assert client.get(f"/enterprises/{people['employer'].enterprise.pk}/").status_code == 404


def test_other_county_admin_gets_404(client, people):
    own = people["employer"].enterprise
    login(client, people["other_county_admin"])
    assert client.get(f"/enterprises/{own.pk}/").status_code == 404
    assert client.get(f"/enterprises/{own.pk}/edit/").status_code == 404
    assert client.post(f"/enterprises/{own.pk}/edit/", {"name": "改名"}).status_code == 404
    own.refresh_from_db()
    assert own.name == "伊川测试企业"
    names = [e.name for e, _a, _i in client.get("/enterprises/").context["rows"]]
    assert names == ["偃师测试企业"]


def test_viewer_has_no_list(client, people):
    assert login(client, people["viewer"]).get("/enterprises/").status_code == 403


def test_employer_is_sent_to_own_enterprise(client, people):
    own = people["employer"].enterprise
    other = people["other_employer"].enterprise
    login(client, people["employer"])
    response = client.get("/enterprises/")
    assert response.status_code == 302
    assert response["Location"] == f"/enterprises/{own.pk}/"
    assert client.get(f"/enterprises/{own.pk}/").status_code == 200
    assert client.get(f"/enterprises/{other.pk}/").status_code == 404
    assert client.get(f"/enterprises/{other.pk}/edit/").status_code == 404
    assert client.post(f"/enterprises/{other.pk}/edit/", {"contact_name": "x"}).status_code == 404
    assert client.get("/enterprises/export/").status_code == 403


def test_employer_edit_page_has_only_own_fields(client, people):
    own = people["employer"].enterprise
    login(client, people["employer"])
    form = client.get(f"/enterprises/{own.pk}/edit/").context["form"]
    assert list(form.fields) == ["address", "size", "contact_name", "contact_phone"]
    response = client.post(
        f"/enterprises/{own.pk}/edit/",
        {"address": "示例路2号", "size": "medium", "contact_name": "李示例", "contact_phone": "13800000000"},
    )
    assert response.status_code == 302
    own.refresh_from_db()
    assert (own.address, own.size, own.contact_name, own.name) == (
        "示例路2号",
        "medium",
        "李示例",
        "伊川测试企业",
    )


def test_create_page_and_detail(client, people):
    login(client, people["county_admin"])
    form = client.get("/enterprises/new/").context["form"]
    assert "410329001" in [c for _g, entries in form.fields["area_code"].choices[1:] for c, _n in entries]
    assert "410307" not in str(form.fields["area_code"].choices)
    response = client.post(
        "/enterprises/new/",
        {
            "uscc": GOOD,
            "name": "示例电子有限公司",
            "area_code": "410329001",
            "industry_division": "39",
            "size": "large",
        },
    )
    created = Enterprise.objects.get(uscc=GOOD)
    assert response["Location"] == f"/enterprises/{created.pk}/"
    assert created.industry_section == "C"
    bad = client.post(
        "/enterprises/new/", {"uscc": wrong_check_digit(fictional_uscc()), "name": "x", "area_code": "410329"}
    )
    assert bad.status_code == 200
    assert bad.context["form"].errors["uscc"]


def test_detail_lists_postings_and_reports(client, people):
    own = people["employer"].enterprise
    posting = make_posting(own)
    login(client, people["employer"])
    html = client.get(f"/enterprises/{own.pk}/").content.decode()
    assert f"/jobs/postings/{posting.pk}/" in html
    assert AuditEvent.objects.filter(action=Action.VIEW, object_id=str(own.pk)).exists()


def test_export_is_scoped_and_audited(client, people):
    login(client, people["county_admin"])
    response = client.get("/enterprises/export/")
    assert response.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:2] == ("企业名称", "统一社会信用代码")
    assert [r[0] for r in rows[1:]] == ["伊川测试企业"]
    event = AuditEvent.objects.filter(action=Action.EXPORT).latest("id")
    assert event.changes["count"] == 1
