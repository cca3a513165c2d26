"""Households: one head, one household per person, village moves only when asked, dated type history;
pages and API scoped per role, every refusal leaving nothing changed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from conftest import make_id
from wengang.audit.models import AuditEvent
from wengang.regions.models import Region
from wengang.registry.households import (
    household_create,
    household_head_set,
    household_member_add,
    household_member_relation,
    household_member_remove,
    household_poverty_set,
)
from wengang.registry.models import Household, Person, PovertyCategoryChange
from wengang.registry.services import person_create

BACKEND = "wengang.accounts.backends.StaffBackend"


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched in English (their msgids); the Chinese ones are in the catalogue."""
    with translation.override("en"):
        yield


def _villages(prefix: str, n: int = 2) -> list[str]:
    return list(
        Region.objects.filter(code__startswith=prefix, level="village")
        .order_by("code")
        .values_list("code", flat=True)[:n]
    )


def _person(actor, seq: int, name: str, village: str, **kw) -> Person:
    county = village[:6]
    return person_create(
        actor=actor, id_number=make_id(county, "19850101", seq), name=name, village_code=village, **kw
    )


def _state(*objs):
    """Everything a refused change must leave as it was."""
    rows = []
    for obj in objs:
        obj = type(obj).objects.get(pk=obj.pk)
        if isinstance(obj, Person):
            rows.append((obj.household_id, obj.relation, obj.village_code))
        else:
            rows.append((obj.head_id, obj.poverty_category, obj.poverty_set_on))
    return rows, AuditEvent.objects.count(), Household.objects.count(), PovertyCategoryChange.objects.count()


@pytest.fixture
def family(people, person_in_township):
    """张测试 heads a household; 李妻 (same village) and 王外 (another village of the township) are alone."""
    v1, v2 = _villages("410329001")
    spouse = _person(people["county_admin"], 201, "李妻", v1)
    other = _person(people["county_admin"], 202, "王外", v2)
    return person_in_township, spouse, other


@pytest.mark.django_db
def test_add_member_merges_a_one_person_household_and_keeps_one_head(people, family):
    head, spouse, _other = family
    household = head.household
    alone = spouse.household
    household_member_add(actor=people["specialist"], household=household, person=spouse, relation="spouse")
    spouse.refresh_from_db()
    assert (spouse.household_id, spouse.relation) == (household.pk, "spouse")
    assert not Household.objects.filter(pk=alone.pk).exists()  # the empty household is closed
    assert list(household.members.filter(relation="head").values_list("name", flat=True)) == ["张测试"]
    event = AuditEvent.objects.filter(object_type="registry.household", object_id=str(household.pk)).latest(
        "id"
    )
    assert event.changes == {"member_added": spouse.pk, "relation": "spouse", "closed_household": alone.pk}
    # Adding again, or as a second head, is refused with a Chinese message and changes nothing.
    before = _state(spouse, household)
    with pytest.raises(ValidationError, match="already a member of this household"):
        household_member_add(actor=people["specialist"], household=household, person=spouse, relation="child")
    with pytest.raises(ValidationError, match="A household has one head"):
        household_member_relation(
            actor=people["specialist"], household=household, person=spouse, relation="head"
        )
    assert _state(spouse, household) == before


@pytest.mark.django_db
def test_a_person_belongs_to_one_household(people, family):
    head, spouse, other = family
    household_member_add(
        actor=people["specialist"], household=head.household, person=spouse, relation="spouse"
    )
    # 王外 (alone) cannot take 李妻 away from 张测试's household: she must be removed first.
    target = Person.objects.get(pk=other.pk).household
    before = _state(spouse, target)
    with pytest.raises(ValidationError, match="remove them from it first"):
        household_member_add(actor=people["specialist"], household=target, person=spouse, relation="spouse")
    assert _state(spouse, target) == before


@pytest.mark.django_db
def test_member_from_another_village_needs_an_explicit_move(people, family):
    head, _spouse, other = family
    household = head.household
    before = _state(other, household)
    with pytest.raises(ValidationError) as refused:
        household_member_add(
            actor=people["specialist"], household=household, person=other, relation="sibling"
        )
    assert "tick" in str(refused.value.message_dict["move_village"])
    assert _state(other, household) == before
    household_member_add(
        actor=people["specialist"], household=household, person=other, relation="sibling", move_village=True
    )
    other.refresh_from_db()
    assert (other.household_id, other.village_code) == (household.pk, household.village_code)


@pytest.mark.django_db
def test_make_head_relation_and_remove(people, family):
    head, spouse, _other = family
    household = head.household
    household_member_add(actor=people["specialist"], household=household, person=spouse, relation="spouse")
    # The head cannot leave while others remain, and their relation changes only through "make head".
    before = _state(head, household)
    with pytest.raises(ValidationError, match="is the household head"):
        household_member_remove(actor=people["specialist"], household=household, person=head)
    with pytest.raises(ValidationError, match="is the household head"):
        household_member_relation(
            actor=people["specialist"], household=household, person=head, relation="child"
        )
    assert _state(head, household) == before
    assert household_head_set(
        actor=people["specialist"], household=household, person=spouse, former_head_relation="spouse"
    )
    household.refresh_from_db()
    assert household.head_id == spouse.pk
    assert dict(household.members.values_list("name", "relation")) == {"张测试": "spouse", "李妻": "head"}
    assert household_member_relation(
        actor=people["specialist"], household=household, person=head, relation="other"
    )
    household_member_remove(actor=people["specialist"], household=household, person=head)
    head.refresh_from_db()
    assert (head.household_id, head.relation) == (None, "")
    assert Person.objects.filter(pk=head.pk).exists()  # still registered
    # The last member leaving closes the household.
    household_member_remove(actor=people["specialist"], household=household, person=spouse)
    assert not Household.objects.filter(pk=household.pk).exists()
    # A person without a household can open one.
    created = household_create(actor=people["specialist"], person=head, poverty_category="marginal")
    assert (created.head_id, created.poverty_category, created.village_code) == (
        head.pk,
        "marginal",
        head.village_code,
    )
    with pytest.raises(ValidationError, match="already belongs to a household"):
        household_create(actor=people["specialist"], person=head)


@pytest.mark.django_db
def test_poverty_category_is_dated_with_history(people, person_in_township):
    household = person_in_township.household
    today = timezone.localdate()
    change = household_poverty_set(
        actor=people["specialist"],
        household=household,
        poverty_category="unstable",
        effective_on=today - dt.timedelta(days=10),
        note="入户核查",
    )
    household.refresh_from_db()
    assert (household.poverty_category, household.poverty_set_on) == (
        "unstable",
        today - dt.timedelta(days=10),
    )
    assert (change.category_from, change.category_to, change.note) == ("general", "unstable", "入户核查")
    assert (
        household_poverty_set(
            actor=people["specialist"], household=household, poverty_category="unstable", effective_on=today
        )
        is None
    )
    before = _state(household)
    with pytest.raises(ValidationError, match="cannot be later than today"):
        household_poverty_set(
            actor=people["specialist"],
            household=household,
            poverty_category="marginal",
            effective_on=today + dt.timedelta(days=1),
        )
    with pytest.raises(ValidationError, match="Unknown household type"):
        household_poverty_set(
            actor=people["specialist"], household=household, poverty_category="rich", effective_on=today
        )
    assert _state(household) == before


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["other_county_admin", "other_specialist", "viewer"])
def test_out_of_scope_actors_change_nothing(people, family, actor):
    head, spouse, _other = family
    household = head.household
    before = _state(head, spouse, household)
    calls = [
        lambda: household_member_add(
            actor=people[actor], household=household, person=spouse, relation="spouse"
        ),
        lambda: household_member_remove(actor=people[actor], household=household, person=head),
        lambda: household_head_set(actor=people[actor], household=household, person=head),
        lambda: household_poverty_set(
            actor=people[actor],
            household=household,
            poverty_category="marginal",
            effective_on=dt.date(2026, 1, 1),
        ),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert _state(head, spouse, household) == before


@pytest.mark.django_db
def test_household_page_forms_and_scope(client, people, family):
    head, spouse, other = family
    household = head.household
    url = reverse("registry:household_detail", kwargs={"pk": household.pk})
    client.force_login(people["specialist"], backend=BACKEND)
    page = client.get(url, {"q": "李妻"})
    assert page.status_code == 200
    assert [p.name for p in page.context["members"]] == ["张测试"]
    assert [p.name for p in page.context["candidates"]] == ["李妻"]
    assert AuditEvent.objects.filter(action="view", object_type="registry.household").exists()
    add = client.post(
        reverse("registry:household_member_add", kwargs={"pk": household.pk}),
        {"person": spouse.pk, "relation": "spouse"},
    )
    assert add.status_code == 302
    # Another village without the tick: the page shows why, and nothing changed.
    refused = client.post(
        reverse("registry:household_member_add", kwargs={"pk": household.pk}),
        {"person": other.pk, "relation": "sibling"},
    )
    assert refused.status_code == 200
    assert list(refused.context["add_form"].errors) == ["move_village"]
    assert 'data-testid="add-errors"' in refused.content.decode()
    assert Person.objects.get(pk=other.pk).household_id != household.pk
    head_set = client.post(
        reverse("registry:household_head_set", kwargs={"pk": household.pk}),
        {"person": spouse.pk, "former_head_relation": "spouse"},
    )
    assert head_set.status_code == 302
    assert Household.objects.get(pk=household.pk).head_id == spouse.pk
    relation = client.post(
        reverse("registry:household_member_relation", kwargs={"pk": household.pk, "person_pk": head.pk}),
        {"relation": "sibling"},
    )
    assert relation.status_code == 302
    assert Person.objects.get(pk=head.pk).relation == "sibling"
    poverty = client.post(
        reverse("registry:household_poverty_set", kwargs={"pk": household.pk}),
        {"poverty_category": "marginal", "effective_on": "2026-03-01", "note": "监测"},
    )
    assert poverty.status_code == 302
    detail = client.get(url)
    assert detail.context["household"].poverty_category == "marginal"
    assert [h.category_to for h in detail.context["history"]] == ["marginal"]
    assert "2026-03-01" in detail.content.decode()
    remove = client.post(
        reverse("registry:household_member_remove", kwargs={"pk": household.pk, "person_pk": head.pk})
    )
    assert remove.status_code == 302
    assert Person.objects.get(pk=head.pk).household_id is None
    again = client.post(
        reverse("registry:household_create", kwargs={"pk": head.pk}), {"poverty_category": "general"}
    )
    assert again.status_code == 302
    assert Person.objects.get(pk=head.pk).household.head_id == head.pk
    # Out of scope: 404 for the other county, 403 for roles without the registry.
    for role, status in (("other_county_admin", 404), ("other_specialist", 404), ("viewer", 403)):
        client.force_login(people[role], backend=BACKEND)
        assert client.get(url).status_code == status, role
        response = client.post(
            reverse("registry:household_member_remove", kwargs={"pk": household.pk, "person_pk": spouse.pk})
        )
        assert response.status_code == status, role
    assert Person.objects.get(pk=spouse.pk).household_id == household.pk


@pytest.mark.django_db
def test_household_api(client, people, family):
    from wengang.accounts.services import token_create

    head, spouse, other = family
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=people['specialist'])}"}
    household = head.household
    added = client.post(
        f"/api/v1/registry/households/{household.pk}/members",
        {"person_id": spouse.pk, "relation": "spouse"},
        content_type="application/json",
        **auth,
    )
    assert added.status_code == 201, added.content
    assert [(m["name"], m["relation"], m["is_head"]) for m in added.json()["members"]] == [
        ("张测试", "head", True),
        ("李妻", "spouse", False),
    ]
    moved = client.post(
        f"/api/v1/registry/households/{household.pk}/members",
        {"person_id": other.pk, "relation": "sibling"},
        content_type="application/json",
        **auth,
    )
    assert moved.status_code == 400
    assert list(moved.json()["detail"]) == ["move_village"]
    member = client.get(f"/api/v1/registry/households/{household.pk}/members/{spouse.pk}", **auth)
    assert member.json()["relation"] == "spouse"
    gone = client.delete(f"/api/v1/registry/households/{household.pk}/members/{spouse.pk}", **auth)
    assert gone.status_code == 204
    assert Person.objects.get(pk=spouse.pk).household_id is None
    created = client.post(
        "/api/v1/registry/households",
        {"person_id": spouse.pk, "poverty_category": "low_income", "effective_on": "2026-01-15"},
        content_type="application/json",
        **auth,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["head_id"], body["poverty_category"], body["poverty_set_on"]) == (
        spouse.pk,
        "low_income",
        "2026-01-15",
    )
    assert [h["category_to"] for h in body["poverty_history"]] == ["low_income"]
    patched = client.patch(
        f"/api/v1/registry/households/{body['id']}",
        {"poverty_category": "marginal", "effective_on": "2026-02-01", "note": "复核"},
        content_type="application/json",
        **auth,
    )
    assert (patched.json()["poverty_category"], patched.json()["poverty_set_on"]) == (
        "marginal",
        "2026-02-01",
    )
    history = client.get(f"/api/v1/registry/households/{body['id']}/members", **auth).json()[
        "poverty_history"
    ]
    assert [(h["category_to"], h["note"]) for h in history] == [("marginal", "复核"), ("low_income", "")]
    listed = client.get("/api/v1/registry/households", **auth).json()
    assert body["id"] in {h["id"] for h in listed["items"]}
    # Another county sees none of it and changes nothing.
    other_auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=people['other_county_admin'])}"}
    assert client.get(f"/api/v1/registry/households/{household.pk}/members", **other_auth).status_code == 404
    assert (
        client.delete(
            f"/api/v1/registry/households/{household.pk}/members/{head.pk}", **other_auth
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/api/v1/registry/households",
            {"person_id": head.pk},
            content_type="application/json",
            **other_auth,
        ).status_code
        == 404
    )
    assert client.get("/api/v1/registry/households", **other_auth).json()["items"] == []
    assert Person.objects.get(pk=head.pk).household_id == household.pk
