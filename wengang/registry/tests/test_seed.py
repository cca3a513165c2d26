"""``manage.py seed``: a reproducible fictional population whose ID numbers pass the checks real ones do."""

from __future__ import annotations

import re
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from wengang.core.crypto import decrypt
from wengang.registry.choices import EmploymentStatus, PovertyCategory
from wengang.registry.identity import age_on, parse_resident_id
from wengang.registry.models import EmploymentEvent, Household, IntentRecord, Person
from wengang.registry.seed import AS_OF, _code_valid_in, id_region_code, seed_population

pytestmark = pytest.mark.django_db
MIN_AGE, MAX_AGE = 16, 64

FIELDS = (
    "id_hash",
    "name",
    "gender",
    "birth_date",
    "village_code",
    "phone_hash",
    "relation",
    "education",
    "health",
    "skills",
    "certificates",
    "status",
    "status_since",
    "intent",
    "household__poverty_category",
)


def snapshot() -> list[tuple]:
    return list(Person.objects.order_by("pk").values_list(*FIELDS))


def wipe() -> None:
    IntentRecord.objects.all().delete()
    EmploymentEvent.objects.all().delete()
    Household.objects.update(head=None)
    Person.objects.all().delete()
    Household.objects.all().delete()


def test_same_seed_same_people_and_other_seed_other_people():
    assert seed_population(persons=300, seed=1).people == 300
    first = snapshot()
    assert len(first) == 300
    wipe()
    seed_population(persons=300, seed=1)
    assert snapshot() == first
    wipe()
    seed_population(persons=300, seed=2)
    assert not {row[0] for row in first} & {row[0] for row in snapshot()}


def test_a_second_run_adds_only_what_is_missing_and_matches_one_run():
    seed_population(persons=450, seed=7)
    fresh = {row[:2] for row in snapshot()}
    wipe()
    assert seed_population(persons=300, seed=7).people == 300
    again = seed_population(persons=300, seed=7)
    assert (again.people, again.existing) == (0, 300)
    assert seed_population(persons=450, seed=7).people == 150
    assert Person.objects.count() == 450
    assert {row[:2] for row in snapshot()} == fresh


def test_id_numbers_are_valid_and_agree_with_the_person():
    seed_population(persons=600, seed=3)
    counties = Counter()
    for person in Person.objects.all():
        rid = parse_resident_id(decrypt(person.id_encrypted))
        assert rid.warnings == []
        assert rid.birth_date == person.birth_date
        assert rid.gender == person.gender
        assert MIN_AGE <= age_on(person.birth_date, AS_OF) <= MAX_AGE
        county = person.village_code[:6]
        assert len(person.village_code) == 12
        # The county's current code when it existed in the birth year, else the code the county had then.
        assert rid.number[:6] == id_region_code(county, person.birth_date.year)
        if _code_valid_in(county, person.birth_date.year):
            assert rid.number[:6] == county
        counties[rid.number[:6] == county] += 1
        assert person.id_masked == rid.number[:6] + "********" + rid.number[-4:]
    assert counties[True] > 200


def test_nothing_in_the_registry_tables_is_a_plaintext_id_or_phone():
    seed_population(persons=300, seed=4)
    plaintext = {
        decrypt(v) for row in Person.objects.values_list("id_encrypted", "phone_encrypted") for v in row
    }
    plaintext.discard("")
    # An 18-character ID number or an 11-digit mobile number standing alone (village codes have 12 digits).
    pattern = re.compile(r"(?<![0-9A-Za-z])(\d{17}[0-9Xx]|1[3-9]\d{9})(?![0-9A-Za-z])")
    cells = 0
    for model in (Person, Household, EmploymentEvent, IntentRecord):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {model._meta.db_table}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, str) and value:
                        cells += 1
                        assert not pattern.search(value), (model.__name__, value)
                        assert not any(p in value for p in plaintext), (model.__name__, value)
    assert cells > 3000
    phones = [p for p in Person.objects.values_list("phone_encrypted", "phone_masked") if p[0]]
    assert 0.75 < len(phones) / 300 < 0.95
    for encrypted, masked in phones:
        phone = decrypt(encrypted)
        assert re.fullmatch(r"1[3-9]\d{9}", phone)
        assert masked == phone[:3] + "****" + phone[-4:]


def test_shares_households_and_cached_status_look_like_the_design():
    seed_population(persons=2000, seed=5)
    people = Person.objects.count()
    assert people == 2000
    status = Counter(Person.objects.values_list("status", flat=True))
    share = {k: v / people for k, v in status.items()}
    assert 0.25 <= share[EmploymentStatus.EMPLOYED_OUT_OF_PROVINCE] <= 0.45
    assert 0.08 <= share[EmploymentStatus.EMPLOYED_IN_PROVINCE] <= 0.22
    assert 0.08 <= share[EmploymentStatus.EMPLOYED_IN_COUNTY] <= 0.22
    assert 0.02 <= share[EmploymentStatus.UNEMPLOYED_SEEKING] <= 0.10
    assert 0.6 <= Person.objects.exclude(intent="").count() / people <= 0.8
    assert 0.2 <= Person.objects.exclude(skills=[]).count() / people <= 0.4
    assert Counter(Person.objects.values_list("education", flat=True)).most_common(1)[0][0] == "junior"

    households = Household.objects.count()
    poverty = Counter(Household.objects.values_list("poverty_category", flat=True))
    assert 0.04 <= poverty[PovertyCategory.OUT_OF_POVERTY] / households <= 0.13
    assert poverty[PovertyCategory.GENERAL] / households > 0.75
    assert not Household.objects.filter(poverty_set_on__year__lt=2020).exists()
    assert not Household.objects.filter(poverty_set_on__year__gt=2021).exists()
    sizes = Counter(Person.objects.values_list("household_id", flat=True))
    assert set(sizes.values()) <= set(range(1, 7))
    heads = dict(Household.objects.values_list("pk", "head_id"))
    for person_id, household_id, relation in Person.objects.values_list("pk", "household_id", "relation"):
        assert (heads[household_id] == person_id) == (relation == "head")
    assert not Person.objects.filter(is_three_without=True, household__poverty_category="general").exists()

    latest = {}
    for event in EmploymentEvent.objects.order_by("occurred_on", "id"):
        latest[event.person_id] = event
    assert len(latest) == people
    assert not EmploymentEvent.objects.exclude(source="import").exists()
    for pk, status_, since in Person.objects.values_list("pk", "status", "status_since"):
        assert (latest[pk].status, latest[pk].occurred_on) == (status_, since)
        assert since.year in (2025, 2026)
    migrants = EmploymentEvent.objects.filter(status=EmploymentStatus.EMPLOYED_OUT_OF_PROVINCE)
    assert not migrants.filter(work_province="").exists()
    assert not migrants.filter(work_province="河南省").exists()
    assert not migrants.filter(monthly_income__lt=3000).exists()
    assert not migrants.filter(monthly_income__gt=8000).exists()
    intents = {r.person_id: r.intent for r in IntentRecord.objects.order_by("recorded_on", "id")}
    assert intents == dict(Person.objects.exclude(intent="").values_list("pk", "intent"))


def test_command_prints_progress_and_respects_scope():
    out = StringIO()
    call_command(
        "seed", "--persons", "40", "--seed", "9", "--scope", "410329", "--batch-size", "15", stdout=out
    )
    assert Person.objects.count() == 40
    assert not Person.objects.exclude(village_code__startswith="410329").exists()
    assert "40" in out.getvalue()
    assert len(out.getvalue().splitlines()) >= 4  # three batches and the summary
    out = StringIO()
    call_command("seed", "--persons", "40", "--seed", "9", "--scope", "410329", stdout=out)
    assert Person.objects.count() == 40
    with pytest.raises(CommandError):
        call_command("seed", "--persons", "10", "--scope", "999999", stdout=StringIO())


def test_demo_load_seeds_the_registry_once():
    from wengang.dashboards.demo import demo_load

    assert demo_load(people=60)["people_created"] == 60
    assert demo_load(people=60)["people_created"] == 0
    assert Person.objects.count() == 60
