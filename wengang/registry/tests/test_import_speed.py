"""The fast load paths: bulk loads that drop indexes and build them again (and survive a crash in between),
the sealed rows' chunked format, COPY text, and the raw lookup of registered people."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json

import pytest
from django.db import connection
from django.utils import timezone

from conftest import make_id
from wengang.accounts.tests.factories import make_user
from wengang.core import crypto
from wengang.regions.models import Region
from wengang.registry import import_writer, imports
from wengang.registry.importers import read_table, validate_rows
from wengang.registry.importers import validation as v
from wengang.registry.importers.villages import VillageIndex
from wengang.registry.imports import ledger_import_load, ledger_import_validate
from wengang.registry.models import EmploymentEvent, Household, IntentRecord, Person
from wengang.registry.tests.test_import_fast import _messy_rows

DAY = dt.date(1990, 1, 1)
HEADER = "姓名,身份证号,联系电话,村代码,户类型,就业状态,务工地点,月收入(元),就业意愿\n"


def _ledger(n: int, village: str, *, status: str = "省外务工", place: str = "浙江省宁波市") -> bytes:
    lines = [HEADER]
    for i in range(n):
        lines.append(
            f"人{i},{make_id('410329', '19900101', 300 + i)},1391234{300 + i:04d},{village},脱贫户,"
            f"{status},{place},6000,外出务工\n"
        )
    return "".join(lines).encode("utf-8-sig")


def _village() -> str:
    return Region.objects.filter(code__startswith="410329001", level="village").order_by("code")[0].code


def _droppable_names() -> set[str]:
    return {d.name for d in import_writer.droppable()}


# --- the indexes a bulk load drops ------------------------------------------------------------------------


@pytest.mark.django_db
def test_droppable_indexes_are_the_migrated_ones_and_come_back_exactly():
    names = _droppable_names()
    before = import_writer.present()
    assert names
    assert names <= before  # named exactly as the migrations made them
    assert "registry_person_phone_hash" in names
    assert "registry_person_list_order" in names
    # Kept: the unique ID hash (inline in the table on SQLite), indexes on foreign key columns.
    if connection.vendor == "postgresql":
        assert "registry_person_id_hash_uniq" in before - names
    keys = ("household_id", "person_id", "head_id")
    assert [n for n in names if "_fk_" not in n and any(k in n for k in keys)] == []
    fks = {d.name for d in import_writer.droppable() if d.foreign_key}
    assert bool(fks) == (connection.vendor == "postgresql")

    assert sorted(import_writer.indexes_drop()) == sorted(names)
    assert import_writer.present() == before - names
    assert import_writer.indexes_drop() == []  # nothing left to drop
    assert sorted(import_writer.indexes_restore()) == sorted(names)
    assert import_writer.present() == before
    assert import_writer.indexes_restore() == []


def test_bulk_is_for_big_loads_into_a_registry_no_bigger(db, monkeypatch):
    monkeypatch.setattr(imports, "BULK_MIN_ROWS", 10)
    assert not imports._bulk(9)
    assert imports._bulk(10)
    Person.objects.bulk_create(
        [
            Person(
                id_hash=f"h{i}",
                id_encrypted="x",
                id_masked="x",
                name="x",
                gender="M",
                birth_date="1990-01-01",
            )
            for i in range(11)
        ]
    )
    assert not imports._bulk(10)
    assert imports._bulk(11)


@pytest.mark.django_db
def test_bulk_load_killed_after_dropping_indexes_resumes_and_ends_with_every_index(people, monkeypatch):
    """The drop commits with the first batch; the worker dies; the resumed load builds them again."""
    village = _village()
    user = people["county_admin"]
    record = ledger_import_validate(user=user, data=_ledger(8, village), filename="a.csv")
    monkeypatch.setattr(imports, "BULK_MIN_ROWS", 5)
    monkeypatch.setattr(imports, "BULK_BATCH_SIZE", 3)
    assert Person.objects.count() < 8
    everything = import_writer.present()
    real = imports._upsert
    calls = {"n": 0}

    def dying(batch, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            real(batch, **kwargs)  # written, then killed before the batch commits
            raise SystemExit("worker killed")
        return real(batch, **kwargs)

    monkeypatch.setattr(imports, "_upsert", dying)
    with pytest.raises(SystemExit):
        ledger_import_load(import_id=record.pk)
    record.refresh_from_db()
    assert (record.next_index, Person.objects.count(), record.status) == (3, 3, "validated")
    assert not _droppable_names() & import_writer.present()  # dropped with the first batch, committed

    monkeypatch.setattr(imports, "_upsert", real)
    record = ledger_import_load(import_id=record.pk)  # resumed at row 3 (5 left: still bulk)
    assert (record.created, record.next_index, record.status) == (8, 8, "done")
    assert import_writer.present() == everything
    assert Person.objects.count() == Household.objects.count() == 8
    assert EmploymentEvent.objects.count() == IntentRecord.objects.count() == 8
    assert len(set(Person.objects.values_list("id_hash", flat=True))) == 8
    for person in Person.objects.select_related("household"):
        assert person.household.head_id == person.pk


@pytest.mark.django_db
def test_resumed_load_that_is_no_longer_bulk_still_builds_the_indexes(people, monkeypatch):
    village = _village()
    record = ledger_import_validate(user=people["county_admin"], data=_ledger(6, village), filename="a.csv")
    monkeypatch.setattr(imports, "BULK_MIN_ROWS", 6)
    monkeypatch.setattr(imports, "BULK_BATCH_SIZE", 4)
    everything = import_writer.present()
    real = imports._upsert
    calls = {"n": 0}

    def dying(batch, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("worker killed")
        return real(batch, **kwargs)

    monkeypatch.setattr(imports, "_upsert", dying)
    with pytest.raises(SystemExit):
        ledger_import_load(import_id=record.pk)
    assert not _droppable_names() & import_writer.present()
    monkeypatch.setattr(imports, "_upsert", real)
    assert not imports._bulk(2)  # 2 rows left: an ordinary load now
    record = ledger_import_load(import_id=record.pk)
    assert (record.created, record.status) == (6, "done")
    assert import_writer.present() == everything


@pytest.mark.django_db
def test_bulk_load_that_meets_someone_registered_meanwhile_looks_people_up_from_then_on(people, monkeypatch):
    """Bulk batches are written without lookups; the unique ID hash stops the batch that would register a
    person twice, which is then written the usual way, and so are the batches after it."""
    village = _village()
    user = people["county_admin"]
    record = ledger_import_validate(user=user, data=_ledger(8, village), filename="a.csv")
    monkeypatch.setattr(imports, "BULK_MIN_ROWS", 5)
    monkeypatch.setattr(imports, "BULK_BATCH_SIZE", 3)
    rows = imports._SealedRows(crypto.decrypt_bytes(bytes(record.sealed_file)))
    real = imports._upsert
    optimistic: list[bool] = []

    def spying(batch, **kwargs):
        optimistic.append(kwargs.get("optimistic", False))
        if len(optimistic) == 2:  # row 5 of the file is registered by someone else before batch 2
            import_writer.Writer(user=user, today=timezone.localdate()).upsert(rows.slice(4, 5))
        return real(batch, **kwargs)

    monkeypatch.setattr(imports, "_upsert", spying)
    record = ledger_import_load(import_id=record.pk)
    assert optimistic == [True, True, False]
    assert (record.created, record.updated, record.unchanged, record.status) == (7, 0, 1, "done")
    assert Person.objects.count() == Household.objects.count() == 8
    assert len(set(Person.objects.values_list("id_hash", flat=True))) == 8


@pytest.mark.django_db
def test_bulk_reimport_changes_nothing_and_a_changed_row_appends_history(people, monkeypatch):
    village = _village()
    user = people["county_admin"]
    monkeypatch.setattr(imports, "BULK_MIN_ROWS", 1)
    monkeypatch.setattr(imports, "BULK_BATCH_SIZE", 4)
    first = ledger_import_load(
        import_id=ledger_import_validate(user=user, data=_ledger(5, village), filename="a.csv").pk
    )
    assert (first.created, first.updated, first.unchanged) == (5, 0, 0)
    same = ledger_import_load(
        import_id=ledger_import_validate(user=user, data=_ledger(5, village), filename="a.csv").pk
    )
    assert (same.created, same.updated, same.unchanged) == (0, 0, 5)
    events = EmploymentEvent.objects.count()
    moved = ledger_import_load(
        import_id=ledger_import_validate(
            user=user, data=_ledger(5, village, place="广东省东莞市"), filename="b.csv"
        ).pk
    )
    assert (moved.created, moved.updated, moved.unchanged) == (0, 5, 0)
    assert EmploymentEvent.objects.count() == events + 5
    assert set(EmploymentEvent.objects.values_list("work_place", flat=True)) == {
        "浙江省宁波市",
        "广东省东莞市",
    }
    assert Person.objects.count() == 5


# --- the sealed rows and the COPY text --------------------------------------------------------------------


def _row(n: int, **changes) -> v.LedgerRow:
    row = v.LedgerRow(
        row_number=n,
        id_number=make_id("410329", "19900101", n),
        name=f"张{n}",
        gender="M",
        birth_date=dt.date(1990, 1, 1),
        phone="13912340001",
        village_code="410329001001",
        poverty_category="",
        status="employed_local",
        work_place="",
        employer_name="",
        monthly_income=3000 + n,
        return_date=dt.date(2026, 2, n % 28 + 1) if n % 2 else None,
        intent="",
        intent_destination="",
        skills=["电工"] if n % 3 else [],
        notes="",
    )
    return dataclasses.replace(row, **changes)


def test_sealed_rows_are_decoded_a_batch_at_a_time_across_chunks(monkeypatch):
    monkeypatch.setattr(imports, "SEAL_CHUNK", 3)
    rows = [_row(n) for n in range(2, 12)]
    data = imports._rows_to_json(rows)
    assert data[:2] == b"W3"
    sealed = imports._SealedRows(data)
    assert len(sealed) == 10
    assert sealed.slice(0, 10) == rows
    assert sealed.slice(2, 7) == rows[2:7]
    assert sealed.slice(8, 50) == rows[8:]
    assert sealed.slice(10, 15) == []
    assert imports._SealedRows(imports._rows_to_json([])).slice(0, 5) == []


def test_sealed_rows_of_the_json_lines_format_still_load():
    rows = [_row(2), _row(3, notes="备注")]
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    fields = [f.name for f in dataclasses.fields(v.LedgerRow) if f.name != "warnings"]
    lines = [encode({"v": 2, "fields": fields})]
    for r in rows:
        item = [getattr(r, f) for f in fields]
        item[fields.index("birth_date")] = r.birth_date.isoformat()
        item[fields.index("return_date")] = r.return_date.isoformat() if r.return_date else None
        lines.append(encode(item))
    sealed = imports._SealedRows("\n".join(lines).encode())
    assert len(sealed) == 2
    assert sealed.slice(0, 2) == rows


def test_copy_text_escapes_what_copy_reads_specially():
    day = dt.date(2020, 1, 2)
    text = import_writer.copy_text(
        [
            (1, "a\tb", None, True, "x\\N", day, "c\nd\re"),
            (2, "张三", None, False, "y", None, "z"),
        ]
    )
    assert text == "1\ta\\tb\t\\N\tt\tx\\\\N\t2020-01-02\tc\\nd\\re\n2\t张三\t\\N\tf\ty\t\\N\tz\n"
    assert import_writer.copy_text([]) == ""


@pytest.mark.django_db
def test_copy_text_round_trips_through_postgresql_copy():
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    rows = [(1, "a\tb\\c\nd", None, True), (2, "张三 \\N", "x", None), (3, "", "", False)]
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE importspeed_copy (n int, a text, b text, c boolean)")
        with cursor.cursor.copy("COPY importspeed_copy FROM STDIN") as copy:
            copy.write(import_writer.copy_text(rows))
        cursor.execute("SELECT n, a, b, c FROM importspeed_copy ORDER BY n")
        assert [tuple(r) for r in cursor.fetchall()] == rows
        cursor.execute("DROP TABLE importspeed_copy")


# --- the column-wise fast path ----------------------------------------------------------------------------


def _messy_table():
    out = io.StringIO()
    rows = _messy_rows()
    rows.append(
        ["冯七", make_id("410329", "19900101", 120), "+86 139-1234-0120", "男", "410329001001"] + [""] * 5
    )
    rows.append(["蒋八", make_id("410329", "19900101", 122), "12345", "男", "410329001001"] + [""] * 5)
    csv.writer(out).writerows(rows)
    return read_table(out.getvalue().encode(), "台账.csv")


@pytest.mark.django_db
def test_column_wise_fast_path_gives_what_the_row_fast_path_gives():
    user = make_user("speed_county", "county_admin", "410329")
    table = _messy_table()
    result = validate_rows(table, user=user)
    cmap = result.columns
    fast = v._FastPath(cmap, VillageIndex.for_user(user), "")
    oks = fast.ids_ok(table.rows)
    by_rows = fast.rows(table.rows, oks)
    single = v._FastPath(cmap, VillageIndex.for_user(user), "")
    by_row = [single.row(r, ok) for r, ok in zip(table.rows, oks, strict=True)]
    assert by_rows == by_row
    assert sum(r is not None for r in by_rows) >= 3
    assert sum(r is None for r in by_rows) >= 8


@pytest.mark.django_db
def test_column_wise_fast_path_agrees_with_the_row_by_row_check(monkeypatch):
    user = make_user("speed_county", "county_admin", "410329")
    table = _messy_table()
    fast = validate_rows(table, user=user)
    monkeypatch.setattr(v._FastPath, "rows", lambda self, chunk, oks: [None] * len(chunk))
    slow = validate_rows(table, user=user)
    assert [dataclasses.asdict(r) for r in fast.rows] == [dataclasses.asdict(r) for r in slow.rows]
    assert fast.errors == slow.errors
    assert fast.warnings == slow.warnings
    assert len(fast.rows) >= 4
