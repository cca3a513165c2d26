"""Loading a ledger: created/updated/unchanged counts, history, scope, idempotence, crash and resume, CLI."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from conftest import make_id
from wengang.regions.models import Region
from wengang.registry import imports
from wengang.registry.imports import ledger_import_load, ledger_import_start, ledger_import_validate
from wengang.registry.models import EmploymentEvent, Household, ImportStatus, LedgerImport, Person

HEADER = "姓名,身份证号,联系电话,村代码,户类型,就业状态,务工地点,月收入(元),就业意愿\n"


def _village(prefix: str) -> str:
    return Region.objects.filter(code__startswith=prefix, level="village").order_by("code").first().code


def _ledger(rows: list[tuple[str, str, str, str, str]]) -> bytes:
    lines = [HEADER]
    for name, seq, village, status, intent in rows:
        lines.append(
            f"{name},{make_id('410329', '19900101', int(seq))},1391234{int(seq):04d},{village},脱贫户,"
            f"{status},浙江省宁波市,6000,{intent}\n"
        )
    return "".join(lines).encode("utf-8-sig")


@pytest.fixture
def ledger():
    v1, v2 = _village("410329001"), _village("410329002")
    return _ledger(
        [
            ("甲", "101", v1, "省外务工", "就地过年"),
            ("乙", "102", v1, "未就业", "县内就业"),
            ("丙", "103", v2, "县内务工", ""),
        ]
    )


@pytest.mark.django_db
def test_import_creates_then_reimport_changes_nothing(people, ledger):
    record = ledger_import_validate(user=people["county_admin"], data=ledger, filename="台账.csv")
    assert (record.total_rows, record.valid_rows, record.rejected_rows, record.status) == (
        3,
        3,
        0,
        "validated",
    )
    record = ledger_import_load(import_id=record.pk)
    assert (record.created, record.updated, record.unchanged, record.status) == (3, 0, 0, "done")
    assert record.sealed_file is None  # the plaintext-bearing file is erased once loaded
    jia = Person.objects.get(name="甲")
    assert (jia.status, jia.intent, jia.household.poverty_category) == (
        "employed_out_of_province",
        "stay_over",
        "out_of_poverty",
    )
    again = ledger_import_load(
        import_id=ledger_import_validate(user=people["county_admin"], data=ledger, filename="台账.csv").pk
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert Person.objects.count() == 3
    assert EmploymentEvent.objects.count() == 3


@pytest.mark.django_db
def test_changed_row_updates_and_appends_history(people, ledger):
    ledger_import_load(
        import_id=ledger_import_validate(user=people["county_admin"], data=ledger, filename="a.csv").pk
    )
    changed = ledger.replace("未就业".encode(), "县内务工".encode())
    record = ledger_import_load(
        import_id=ledger_import_validate(user=people["county_admin"], data=changed, filename="b.csv").pk
    )
    assert (record.created, record.updated, record.unchanged) == (0, 1, 2)
    yi = Person.objects.get(name="乙")
    assert yi.status == "employed_in_county"
    assert list(yi.employment_events.order_by("id").values_list("status", flat=True)) == [
        "unemployed_seeking",
        "employed_in_county",
    ]


@pytest.mark.django_db
def test_rows_outside_scope_are_rejected_not_loaded(people, ledger):
    record = ledger_import_validate(
        user=people["specialist"], data=ledger, filename="a.csv"
    )  # township 410329001
    assert (record.valid_rows, record.rejected_rows) == (2, 1)
    assert record.errors[0]["row"] == 4
    assert record.error_report
    ledger_import_load(import_id=record.pk)
    assert set(Person.objects.values_list("name", flat=True)) == {"甲", "乙"}


@pytest.mark.django_db
def test_a_crash_mid_load_resumes_with_no_duplicate_and_no_lost_row(people, monkeypatch):
    village = _village("410329001")
    data = _ledger([(f"人{i}", str(200 + i), village, "省外务工", "") for i in range(7)])
    record = ledger_import_validate(user=people["county_admin"], data=data, filename="big.csv")
    monkeypatch.setattr(imports, "BATCH_SIZE", 3)
    real_upsert = imports._upsert
    calls = {"n": 0}

    def dying_upsert(batch, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            real_upsert(batch, **kwargs)  # the batch's rows are written…
            raise SystemExit("worker killed")  # …and the process dies before the batch commits
        return real_upsert(batch, **kwargs)

    monkeypatch.setattr(imports, "_upsert", dying_upsert)
    with pytest.raises(SystemExit):
        ledger_import_load(import_id=record.pk)
    record.refresh_from_db()
    assert (record.next_index, Person.objects.count(), record.status) == (3, 3, "validated")
    monkeypatch.setattr(imports, "_upsert", real_upsert)
    record = ledger_import_load(import_id=record.pk)
    assert (record.created, record.next_index, record.status) == (7, 7, "done")
    assert Person.objects.count() == 7
    assert Household.objects.count() == 7


@pytest.mark.django_db
def test_background_load_through_the_task(people, ledger, django_capture_on_commit_callbacks):
    record = ledger_import_validate(user=people["county_admin"], data=ledger, filename="a.csv")
    with django_capture_on_commit_callbacks(execute=True):
        record = ledger_import_start(user=people["county_admin"], record=record)
    record.refresh_from_db()
    assert record.status == ImportStatus.DONE
    assert record.task.status == "succeeded"
    assert record.task.result["created"] == 3


@pytest.mark.django_db
def test_cli_prints_json_counts_and_writes_the_report(people, ledger, tmp_path, capsys):
    path = tmp_path / "台账.csv"
    path.write_bytes(ledger)
    report = tmp_path / "errors.xlsx"
    call_command("import_labour", str(path), "--as", "t_spec", "--json", "--report", str(report))
    out = json.loads(capsys.readouterr().out)
    assert {k: out[k] for k in ("created", "updated", "unchanged", "rejected")} == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
    }
    assert report.read_bytes()[:2] == b"PK"
    assert LedgerImport.objects.count() == 1


@pytest.mark.django_db
def test_upload_check_and_load_through_the_pages(client, people, ledger, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client.force_login(people["specialist"], backend="wengang.accounts.backends.StaffBackend")
    response = client.post(
        reverse("registry:import_list"),
        {"file": SimpleUploadedFile("台账.csv", ledger, content_type="text/csv")},
    )
    assert response.status_code == 302
    detail = client.get(response["Location"])
    record = detail.context["record"]
    assert (record.valid_rows, record.rejected_rows) == (2, 1)
    html = detail.content.decode()
    assert record.errors[0]["row"] == 4
    assert 'data-testid="import-errors"' in html
    assert make_id("410329", "19900101", 103) not in html
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("registry:import_start", kwargs={"pk": record.pk}))
    done = client.get(reverse("registry:import_detail", kwargs={"pk": record.pk}))
    assert done.context["record"].created == 2
    assert 'data-testid="load-result"' in done.content.decode()
    report = client.get(reverse("registry:import_report", kwargs={"pk": record.pk}))
    assert report.content[:2] == b"PK"
    template = client.get(reverse("registry:import_template"))
    assert template.content[:2] == b"PK"
    # Another account cannot see this import.
    client.force_login(people["county_admin"], backend="wengang.accounts.backends.StaffBackend")
    assert client.get(reverse("registry:import_detail", kwargs={"pk": record.pk})).status_code == 404


@pytest.mark.django_db
def test_unreadable_file_is_refused_with_a_message(client, people):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client.force_login(people["specialist"], backend="wengang.accounts.backends.StaffBackend")
    response = client.post(
        reverse("registry:import_list"),
        {"file": SimpleUploadedFile("x.csv", "甲,乙\n1,2\n".encode(), content_type="text/csv")},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert LedgerImport.objects.count() == 0
