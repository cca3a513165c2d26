"""The load's new-people tables built column by column (``import_tables``) and written by ``Writer``: the
same COPY text as the row-by-row formatter, the same rows in the database on both vendors, keys drawn from
the tables' sequences, and IDs and phones sealed only for the rows written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from conftest import make_id
from wengang.accounts.tests.factories import make_user
from wengang.core import crypto
from wengang.registry import import_writer
from wengang.registry.import_tables import INT, OPTIONAL, SAFE, SAME, TEXT, Column, copy_lines, value_rows
from wengang.registry.importers import LedgerRow
from wengang.registry.models import EmploymentEvent, Household, IntentRecord, Person

DAY = dt.date(2026, 3, 1)


def _columns() -> list[Column]:
    return [
        Column("key", SAFE, ["b", "a", "c"]),
        Column("n", INT, [3, 1, 2]),
        Column("text", TEXT, ["x\ty", "back\\slash", "line\nbreak\r\0"]),
        Column("plain", TEXT, ["张三", "", "李四"]),
        Column("maybe", OPTIONAL, [None, 7, "2020-01-02"]),
        Column("null", SAME, None),
        Column("yes", SAME, True),
        Column("no", SAME, False),
        Column("word", SAME, "a\tb"),
    ]


def test_copy_lines_are_the_row_formatters_text_sorted_on_the_first_column():
    rows = [
        ("b", 3, "x\ty", "张三", None, None, True, False, "a\tb"),
        ("a", 1, "back\\slash", "", 7, None, True, False, "a\tb"),
        ("c", 2, "line\nbreak\r\0", "李四", "2020-01-02", None, True, False, "a\tb"),
    ]
    expected = import_writer.copy_text(rows).split("\n")[:-1]
    assert copy_lines(_columns(), sort=False) == expected
    assert copy_lines(_columns()) == [expected[1], expected[0], expected[2]]
    assert copy_lines([Column("a", TEXT, []), Column("b", SAME, 1)]) == []


def test_value_rows_are_tuples_sorted_on_the_first_column():
    rows = value_rows(_columns())
    assert rows[0] == ("a", 1, "back\\slash", "", 7, None, True, False, "a\tb")
    assert [r[0] for r in rows] == ["a", "b", "c"]
    assert [r[1] for r in value_rows(_columns(), sort=False)] == [3, 1, 2]


def _row(number: int, **changes: object) -> LedgerRow:
    values: dict[str, object] = {
        "row_number": number + 2,
        "id_number": make_id("410329", "19900101", 500 + number),
        "name": f"人{number}",
        "gender": "M",
        "birth_date": dt.date(1990, 1, 1),
        "phone": f"1391234{500 + number:04d}",
        "village_code": "410329001001",
        "poverty_category": "",
        "status": "",
        "work_place": "",
        "employer_name": "",
        "monthly_income": None,
        "return_date": None,
        "intent": "",
        "intent_destination": "",
        "skills": [],
        "notes": "",
    }
    return LedgerRow(**(values | changes))  # type: ignore[arg-type]


def _rows() -> list[LedgerRow]:
    return [
        _row(
            0,
            name="王\t五",
            notes='备注\\N "引号"\n第二行',
            skills=["电工", 'a"b\\c'],
            status="employed_out_of_province",
            work_place="浙江\t宁波",
            employer_name="厂\\一",
            monthly_income=6000,
            intent="go_out",
            intent_destination="上海\n浦东",
            return_date=dt.date(2026, 1, 20),
            poverty_category="out_of_poverty",
        ),
        _row(1, phone=""),
        _row(2, status="unemployed_seeking", intent="stay_over"),
    ]


@pytest.mark.django_db
def test_new_people_land_exactly_with_keys_from_the_sequences():
    user = make_user("imp", "city_admin", "410300")
    before = Person.objects.create(
        id_hash="x" * 64, id_encrypted="", id_masked="", name="先到", gender="F", birth_date=DAY
    )
    rows = _rows()
    writer = import_writer.Writer(user=user, today=DAY)
    with transaction.atomic():
        assert writer.upsert(rows, optimistic=True) == (3, 0, 0)

    people = {p.name: p for p in Person.objects.exclude(pk=before.pk).select_related("household")}
    assert sorted(people) == sorted(r.name for r in rows)
    for row in rows:
        person = people[row.name]
        assert person.pk > before.pk
        assert crypto.decrypt(person.id_encrypted) == row.id_number
        assert person.id_hash == crypto.blind_index(row.id_number)
        assert person.id_masked == row.id_number[:6] + "********" + row.id_number[14:]
        assert (crypto.decrypt(person.phone_encrypted) if person.phone_encrypted else "") == row.phone
        assert person.phone_hash == (crypto.blind_index(row.phone) if row.phone else "")
        assert person.phone_masked == (row.phone[:3] + "****" + row.phone[7:] if row.phone else "")
        assert (person.notes, person.skills, person.certificates) == (row.notes, row.skills, [])
        assert (person.birth_date, person.return_date, person.village_code) == (
            row.birth_date,
            row.return_date,
            row.village_code,
        )
        assert (person.status, person.status_since, person.intent) == (
            row.status,
            DAY if row.status else None,
            row.intent,
        )
        assert person.household.head_id == person.pk
        assert person.household.village_code == row.village_code
        assert person.household.poverty_category == (row.poverty_category or "general")
        assert person.household.poverty_set_on == DAY

    first = people["王\t五"]
    event = EmploymentEvent.objects.get(person=first)
    assert (event.status, event.work_place, event.employer_name, event.monthly_income, event.occurred_on) == (
        "employed_out_of_province",
        "浙江\t宁波",
        "厂\\一",
        6000,
        DAY,
    )
    assert (event.source, event.recorded_by_id, event.enterprise_id) == ("import", user.pk, None)
    intent = IntentRecord.objects.get(person=first)
    assert (intent.intent, intent.destination, intent.recorded_on) == ("go_out", "上海\n浦东", DAY)
    assert EmploymentEvent.objects.count() == 2
    assert IntentRecord.objects.count() == 2

    # The sequences moved past the keys taken: the next rows the ORM writes get fresh keys.
    later = Person.objects.create(
        id_hash="y" * 64, id_encrypted="", id_masked="", name="后到", gender="F", birth_date=DAY
    )
    assert later.pk > max(p.pk for p in people.values())
    home = Household.objects.create(village_code="410329001001")
    assert home.pk > max(p.household_id or 0 for p in people.values())


@pytest.mark.django_db
def test_ids_and_phones_are_sealed_only_for_what_is_written(monkeypatch):
    user = make_user("imp", "city_admin", "410300")
    rows = _rows()
    sealed: list[str] = []
    real = import_writer.encrypt_many

    def counting(values):
        sealed.extend(values)
        return real(values)

    monkeypatch.setattr(import_writer, "encrypt_many", counting)
    with transaction.atomic():
        assert import_writer.Writer(user=user, today=DAY).upsert(rows) == (3, 0, 0)
    assert sorted(sealed) == sorted([r.id_number for r in rows] + [r.phone for r in rows])

    sealed.clear()
    changed = [_row(1, phone="13900000001"), rows[0], rows[2]]
    with transaction.atomic():
        assert import_writer.Writer(user=user, today=DAY).upsert(changed) == (0, 1, 2)
    assert sealed == ["13900000001"]
    person = Person.objects.get(id_hash=crypto.blind_index(changed[0].id_number))
    assert crypto.decrypt(person.phone_encrypted) == "13900000001"
    assert person.phone_hash == crypto.blind_index("13900000001")
    assert person.phone_masked == "139****0001"
