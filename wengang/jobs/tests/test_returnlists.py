"""Returning-worker lists: messy files, matching to the registry, what each side sees, scope, audit."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import make_id
from wengang.audit.models import AuditEvent
from wengang.core import crypto
from wengang.jobs import returnlists
from wengang.jobs.choices import ContactStatus, MatchMethod
from wengang.jobs.models import ReturnWorker, ReturnWorkerList
from wengang.jobs.returnlists import return_list_upload, return_worker_contact, return_worker_match
from wengang.regions.models import Region
from wengang.registry.services import EmploymentChange, person_create

pytestmark = pytest.mark.django_db

BACKEND = "wengang.accounts.backends.StaffBackend"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _login(client, user):
    client.force_login(user, backend=BACKEND)


def _village(prefix: str) -> str:
    return Region.objects.filter(code__startswith=prefix, level="village").order_by("code").first().code


@pytest.fixture
def li(people):
    """A second registered 伊川 person, for name + phone matching (phone 13912340002)."""
    return person_create(
        actor=people["county_admin"],
        id_number=make_id("410329", "19880808", 33),
        name="李测试",
        village_code=_village("410329001"),
        phone="13912340002",
        employment=EmploymentChange(
            status="unemployed_seeking", occurred_on=__import__("datetime").date(2026, 1, 5)
        ),
    )


def _csv(lines: list[str], encoding: str = "gbk") -> SimpleUploadedFile:
    return SimpleUploadedFile("返乡名单.csv", "\r\n".join(lines).encode(encoding), content_type="text/csv")


def _xlsx(rows: list[list[str]], headers=("姓名", "身份证号", "联系电话", "居住地址")) -> SimpleUploadedFile:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(headers))
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile("名单.xlsx", buf.getvalue())


def _upload(people, rows, role="employer", **kw):
    actor = people[role]
    enterprise = kw.pop("enterprise", None) or people["employer"].enterprise
    return return_list_upload(actor=actor, enterprise=enterprise, uploaded_file=_xlsx(rows, **kw))


# --- reading and matching ----------------------------------------------------------------------------------


def test_messy_gbk_csv_reports_bad_rows_and_matches(people, person_in_township, li):
    bad_checksum = make_id("410329", "19900101", 12)[:-1] + "0"
    if bad_checksum == make_id("410329", "19900101", 12):
        bad_checksum = bad_checksum[:-1] + "1"
    lines = [
        "伊川测试企业春节返乡员工名单,,,,",  # row 1: title
        ",,,,",  # row 2: blank
        "序号,姓名,身份证号码,手机号码,家庭住址",  # row 3: header
        f"1,张测试,{make_id('410329', '19900101', 11)},,伊川县某村1号",  # row 4: ID match
        "2,李测试,,139-1234-0002,伊川县某村2号",  # row 5: name + phone match
        ",,,,",  # row 6: blank
        f"3,王测试,{bad_checksum},13800000001,某地",  # row 7: bad ID
        "4,赵测试,,12345,某地",  # row 8: bad phone
        "5,钱测试,,,某地",  # row 9: neither phone nor ID
        "6,,,13800000002,某地",  # row 10: no name
        "7,张测试,,13800000003,某地",  # row 11: only the name equals a registered person: no match
        "合计,,,,",  # skipped
    ]
    worker_list = return_list_upload(
        actor=people["employer"], enterprise=people["employer"].enterprise, uploaded_file=_csv(lines)
    )
    assert (worker_list.rows, worker_list.matched, worker_list.filename) == (3, 2, "返乡名单.csv")
    errors = [(e["row"], e["column"]) for e in worker_list.errors if e["level"] == "error"]
    assert errors == [(7, "身份证号码"), (8, "手机号码"), (9, "手机号码"), (10, "姓名")]
    assert all(e["message"] for e in worker_list.errors)
    workers = {w.row_number: w for w in worker_list.workers.all()}
    assert sorted(workers) == [4, 5, 11]
    assert (workers[4].person, workers[4].match_method, workers[4].area_code) == (
        person_in_township,
        MatchMethod.ID,
        person_in_township.village_code,
    )
    assert (workers[5].person, workers[5].match_method, workers[5].area_code) == (
        li,
        MatchMethod.NAME_PHONE,
        li.village_code,
    )
    assert (workers[11].person, workers[11].match_method, workers[11].area_code) == (
        None,
        MatchMethod.NONE,
        "",
    )
    assert workers[5].phone_masked == "139****0002"
    assert workers[4].address == "伊川县某村1号"


def test_id_match_wins_and_name_alone_or_phone_alone_never_matches(people, person_in_township, li):
    worker_list = _upload(
        people,
        [
            # ID of 张测试 with someone else's phone: matched by ID.
            ["张测试", make_id("410329", "19900101", 11), "13700000000", "甲"],
            # Phone of 李测试 but another name: no match.
            ["李某某", "", "13912340002", "乙"],
            # Name of 李测试 with another phone: no match.
            ["李测试", "", "13700000001", "丙"],
        ],
    )
    got = list(
        worker_list.workers.order_by("row_number").values_list("row_number", "person_id", "match_method")
    )
    assert got == [(2, person_in_township.pk, "id"), (3, None, "none"), (4, None, "none")]
    assert worker_list.matched == 1


def test_database_holds_no_plaintext_id_or_phone(people, person_in_township):
    number = make_id("410329", "19900101", 11)
    worker_list = _upload(people, [["张测试", number, "13912340001", "某村"]])
    worker = worker_list.workers.get()
    assert worker.id_hash == crypto.blind_index(number)
    assert worker.phone_hash == crypto.blind_index("13912340001")
    assert (worker.id_masked, worker.phone_masked) == (number[:6] + "********" + number[-4:], "139****0001")
    assert crypto.decrypt(worker.id_encrypted) == number
    assert crypto.decrypt(worker.phone_encrypted) == "13912340001"
    columns = [f.column for f in ReturnWorker._meta.concrete_fields]
    stored = " ".join(str(v) for v in ReturnWorker.objects.filter(pk=worker.pk).values_list(*columns).get())
    assert number not in stored
    assert "13912340001" not in stored
    audit = AuditEvent.objects.get(action="import", object_type="jobs.returnworkerlist")
    assert audit.changes == {
        "enterprise": people["employer"].enterprise_id,
        "rows": 1,
        "matched": 1,
        "rejected_rows": 0,
        "warnings": 0,
    }
    dumped = json.dumps(audit.changes, ensure_ascii=False)
    assert "张测试" not in dumped
    assert number not in dumped


def test_file_without_usable_rows_or_too_long_stores_nothing(people, monkeypatch):
    with pytest.raises(ValidationError):
        _upload(people, [["张三", "", "", "某地"], ["", "", "13800000000", ""]])
    with pytest.raises(ValidationError):
        _upload(people, [["张三", "某地"]], headers=("姓名", "居住地址"))
    monkeypatch.setattr(returnlists, "MAX_ROWS", 2)
    with pytest.raises(ValidationError, match="(at most 2|最多 2)"):
        _upload(
            people,
            [["甲", "", "13800000001", ""], ["乙", "", "13800000002", ""], ["丙", "", "13800000003", ""]],
        )
    assert ReturnWorkerList.objects.count() == ReturnWorker.objects.count() == 0
    assert not AuditEvent.objects.filter(action="import").exists()


def test_headers_with_remarks_are_recognised(people, li):
    worker_list = _upload(
        people,
        [["李测试", "", "13912340002", "某村"]],
        headers=("姓名", "身份证号码(18位)", "手机号码（必填）", "现住址"),
    )
    worker = worker_list.workers.get()
    assert (worker.person_id, worker.address) == (li.pk, "某村")


def test_duplicate_rows_are_rejected(people):
    worker_list = _upload(people, [["甲", "", "13800000001", ""], ["甲", "", "13800000001", ""]])
    assert worker_list.rows == 1
    assert [(e["row"], e["column"]) for e in worker_list.errors] == [(3, "联系电话")]


# --- who may upload -----------------------------------------------------------------------------------------


def test_upload_only_for_own_or_in_scope_enterprise(people):
    own, other = people["employer"].enterprise, people["other_employer"].enterprise
    with pytest.raises(PermissionDenied):
        _upload(people, [["甲", "", "13800000001", ""]], enterprise=other)
    with pytest.raises(PermissionDenied):
        _upload(people, [["甲", "", "13800000001", ""]], role="county_admin", enterprise=other)
    with pytest.raises(PermissionDenied):
        _upload(people, [["甲", "", "13800000001", ""]], role="viewer", enterprise=own)
    assert not ReturnWorkerList.objects.exists()
    staff_upload = _upload(people, [["甲", "", "13800000001", ""]], role="county_admin", enterprise=own)
    assert staff_upload.enterprise == own


def test_employer_form_with_forged_enterprise_is_400(client, people):
    own, other = people["employer"].enterprise, people["other_employer"].enterprise
    _login(client, people["employer"])
    url = reverse("jobs:returnlist_upload")
    response = client.post(url, {"enterprise": other.pk, "file": _xlsx([["甲", "", "13800000001", ""]])})
    assert response.status_code == 400
    assert not ReturnWorkerList.objects.exists()
    response = client.post(url, {"file": _xlsx([["甲", "", "13800000001", ""]])})
    assert response.status_code == 302
    assert ReturnWorkerList.objects.get().enterprise == own
    response = client.post(url, {"enterprise": own.pk, "file": _xlsx([["乙", "", "13800000002", ""]])})
    assert response.status_code == 302
    assert ReturnWorkerList.objects.filter(enterprise=own).count() == 2


def test_staff_form_with_out_of_scope_enterprise_is_400(client, people):
    other = people["other_employer"].enterprise
    _login(client, people["county_admin"])
    response = client.post(
        reverse("jobs:returnlist_upload"),
        {"enterprise": other.pk, "file": _xlsx([["甲", "", "13800000001", ""]])},
    )
    assert response.status_code == 400
    assert not ReturnWorkerList.objects.exists()


def test_bad_file_on_the_page_names_the_problem(client, people):
    _login(client, people["employer"])
    response = client.post(
        reverse("jobs:returnlist_upload"),
        {"file": SimpleUploadedFile("x.csv", "姓名,居住地址\r\n张三,某地\r\n".encode())},
        **EN,
    )
    assert response.status_code == 200
    assert "No header row was found" in response.content.decode()
    assert not ReturnWorkerList.objects.exists()


# --- what each side sees ------------------------------------------------------------------------------------


def test_employer_sees_contact_status_but_nothing_from_the_registry(client, people, person_in_township):
    worker_list = _upload(
        people, [["张测试", make_id("410329", "19900101", 11), "13700000009", "伊川县某村"]]
    )
    worker = worker_list.workers.get()
    return_worker_contact(
        actor=people["specialist"], worker=worker, status=ContactStatus.RETURNING, note="初八坐包车"
    )
    _login(client, people["employer"])
    response = client.get(reverse("jobs:returnlist_detail", args=[worker_list.pk]), **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Will return to the enterprise" in html
    assert "张测试" in html
    assert "137****0009" in html
    assert "伊川县某村" in html
    village = Region.objects.get(code=person_in_township.village_code).name
    for secret in (
        village,
        person_in_township.village_code,
        person_in_township.phone_masked,  # the registry's phone, not the one uploaded
        person_in_township.get_status_display(),
        "/registry/",
        "初八坐包车",  # staff's note
        "Matched",
        "t_spec",  # who called
    ):
        assert secret not in html, secret
    export = client.get(reverse("jobs:returnlist_export", args=[worker_list.pk]), **EN)
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == ["Row", "Name", "Mobile phone", "Home address", "Contact status", "Date"]
    assert values[1][:5] == [2, "张测试", "137****0009", "伊川县某村", "Will return to the enterprise"]


def test_staff_page_shows_match_and_links_to_person(client, people, person_in_township):
    worker_list = _upload(
        people,
        [["张测试", make_id("410329", "19900101", 11), "13700000009", ""], ["无名氏", "", "13700000008", ""]],
    )
    _login(client, people["county_admin"])
    url = reverse("jobs:returnlist_detail", args=[worker_list.pk])
    html = client.get(url, **EN).content.decode()
    assert f"/registry/{person_in_township.pk}/" in html
    assert Region.objects.get(code=person_in_township.village_code).name in html
    unmatched = worker_list.workers.get(person__isnull=True)
    assert reverse("jobs:returnworker_match", args=[unmatched.pk]) in html
    page = client.get(url, {"matched": "0"}).context["page"]
    assert [w.name for w in page] == ["无名氏"]
    page = client.get(url, {"q": "张"}).context["page"]
    assert [w.name for w in page] == ["张测试"]
    counts = {value: n for value, _label, n in client.get(url).context["counts"]}
    assert counts["not_contacted"] == 2
    assert counts["returning"] == 0
    assert AuditEvent.objects.filter(
        action="view", object_type="jobs.returnworkerlist", object_id=str(worker_list.pk)
    ).exists()


def test_employer_gets_404_on_another_enterprises_list_and_403_on_rows(client, people):
    other_list = _upload(
        people,
        [["甲", "", "13800000001", ""]],
        role="other_employer",
        enterprise=people["other_employer"].enterprise,
    )
    worker = other_list.workers.get()
    _login(client, people["employer"])
    assert client.get(reverse("jobs:returnlist_detail", args=[other_list.pk])).status_code == 404
    assert client.get(reverse("jobs:returnlist_export", args=[other_list.pk])).status_code == 404
    assert client.get(reverse("jobs:returnlist_list")).context["page"].paginator.count == 0
    contact = reverse("jobs:returnworker_contact", args=[worker.pk])
    assert client.post(contact, {"status": "returned"}).status_code == 403
    assert client.post(reverse("jobs:returnworker_match", args=[worker.pk]), {"person": 1}).status_code == 403
    worker.refresh_from_db()
    assert (worker.contact_status, worker.person_id) == ("not_contacted", None)
    # The other enterprise's HR contact sees its own list.
    _login(client, people["other_employer"])
    assert client.get(reverse("jobs:returnlist_detail", args=[other_list.pk])).status_code == 200


def test_rows_follow_the_workers_home_area(client, people, person_in_township):
    """A 偃师 enterprise's list: its row matched to a 伊川 person is 伊川 staff's, not 偃师 staff's."""
    other = people["other_employer"].enterprise
    worker_list = _upload(
        people,
        [["张测试", make_id("410329", "19900101", 11), "", ""], ["偃师人", "", "13800000005", ""]],
        role="other_employer",
        enterprise=other,
    )
    yichuan_row = worker_list.workers.get(person=person_in_township)
    unmatched = worker_list.workers.get(person__isnull=True)

    _login(client, people["other_county_admin"])
    url = reverse("jobs:returnlist_detail", args=[worker_list.pk])
    response = client.get(url)
    assert [w.pk for w in response.context["page"]] == [unmatched.pk]
    assert "张测试" not in response.content.decode()
    assert response.context["hidden_rows"] == 1
    assert client.get(reverse("jobs:returnworker_contact", args=[yichuan_row.pk])).status_code == 404
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("jobs:returnlist_export", args=[worker_list.pk])).content)
    ).active
    assert [r[1] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["偃师人"]
    with pytest.raises(PermissionDenied):
        return_worker_contact(
            actor=people["other_specialist"], worker=yichuan_row, status="returned", note=""
        )

    _login(client, people["specialist"])
    assert [w.pk for w in client.get(url).context["page"]] == [yichuan_row.pk]
    assert client.get(reverse("jobs:returnlist_list")).context["page"].paginator.count == 1
    assert client.get(reverse("jobs:returnworker_contact", args=[unmatched.pk])).status_code == 404
    yichuan_row.refresh_from_db()
    assert yichuan_row.contact_status == "not_contacted"


def test_contact_update_is_audited(client, people, person_in_township):
    worker = _upload(people, [["张测试", make_id("410329", "19900101", 11), "", ""]]).workers.get()
    _login(client, people["specialist"])
    detail = reverse("jobs:returnlist_detail", args=[worker.worker_list_id])
    response = client.post(
        reverse("jobs:returnworker_contact", args=[worker.pk]),
        {"status": "returning", "note": "初八返岗 13912340001", "next": detail},
    )
    assert response.status_code == 302
    assert response["Location"] == detail
    worker.refresh_from_db()
    assert (worker.contact_status, worker.contact_note, worker.contacted_by) == (
        "returning",
        "初八返岗 13912340001",
        people["specialist"],
    )
    assert worker.contacted_at is not None
    event = AuditEvent.objects.get(action="update", object_type="jobs.returnworker", object_id=str(worker.pk))
    assert event.actor_id == people["specialist"].pk
    assert event.changes == {
        "contact_status": ["not_contacted", "returning"],
        "list": worker.worker_list_id,
        "note": True,
    }
    # An unknown status is refused and nothing changes.
    response = client.post(reverse("jobs:returnworker_contact", args=[worker.pk]), {"status": "gone"})
    assert response.status_code == 400
    worker.refresh_from_db()
    assert worker.contact_status == "returning"
    # Outside the area the page is not found.
    _login(client, people["other_specialist"])
    assert (
        client.post(
            reverse("jobs:returnworker_contact", args=[worker.pk]), {"status": "returned"}
        ).status_code
        == 404
    )


def test_staff_links_unmatched_row_to_a_person_they_can_see(client, people, person_in_township, li):
    worker_list = _upload(people, [["李测式", "", "13912340002", ""]])  # a typing slip in the name
    worker = worker_list.workers.get()
    assert worker.person_id is None
    url = reverse("jobs:returnworker_match", args=[worker.pk])
    _login(client, people["county_admin"])
    response = client.get(url, {"q": "13912340002"})
    assert [p.pk for p in response.context["candidates"]] == [li.pk]
    # A person outside the county cannot be referenced.
    outsider = person_create(
        actor=people["city_admin"],
        id_number=make_id("410307", "19900101", 44),
        name="偃测试",
        village_code=_village("410307"),
    )
    assert client.post(url, {"person": outsider.pk}).status_code == 400
    worker.refresh_from_db()
    assert worker.person_id is None
    with pytest.raises(ValidationError):
        return_worker_match(actor=people["county_admin"], worker=worker, person=outsider)
    assert client.post(url, {"person": li.pk}).status_code == 302
    worker.refresh_from_db()
    worker_list.refresh_from_db()
    assert (worker.person_id, worker.area_code, worker_list.matched) == (li.pk, li.village_code, 1)
    assert worker.match_method == returnlists.MANUAL_MATCH
    assert AuditEvent.objects.filter(
        action="update", object_type="jobs.returnworker", changes__person=li.pk
    ).exists()


def test_template_round_trip_through_the_page(client, people, li):
    _login(client, people["employer"])
    template = client.get(reverse("jobs:returnlist_template"))
    assert template.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(template.content))
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]] == ["姓名", "身份证号", "联系电话", "居住地址"]
    ws.append(["李测试", None, "13912340002", "伊川县某村"])
    buf = io.BytesIO()
    wb.save(buf)
    response = client.post(
        reverse("jobs:returnlist_upload"), {"file": SimpleUploadedFile("t.xlsx", buf.getvalue())}
    )
    assert response.status_code == 302
    worker_list = ReturnWorkerList.objects.get()
    assert (worker_list.rows, worker_list.matched, worker_list.created_by) == (1, 1, people["employer"])
    listing = client.get(reverse("jobs:returnlist_list"))
    assert [lst.pk for lst, _counts in listing.context["rows"]] == [worker_list.pk]


def test_staff_export_is_masked_scoped_and_audited(client, people, person_in_township):
    number = make_id("410329", "19900101", 11)
    worker_list = _upload(people, [["张测试", number, "13700000009", "某村"]])
    _login(client, people["county_admin"])
    response = client.get(reverse("jobs:returnlist_export", args=[worker_list.pk]))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    row = list(next(sheet.iter_rows(min_row=2, values_only=True)))
    assert row[:4] == [2, "张测试", number[:6] + "********" + number[-4:], "137****0009"]
    assert number not in str(row)
    assert "13700000009" not in str(row)
    event = AuditEvent.objects.get(action="export", object_type="jobs.returnworkerlist")
    assert event.changes["rows"] == 1
    assert event.actor_id == people["county_admin"].pk
