import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from wengang.api.perms import require
from wengang.audit.models import Action
from wengang.audit.services import audit_record

from .selectors import PersonFilters, person_list

router = Router(tags=["registry"])


class PersonFilterIn(Schema):
    area: str = ""
    status: str = ""
    poverty_category: str = ""
    three_without: str = ""
    intent: str = ""
    age_min: int | None = None
    age_max: int | None = None
    skill: str = ""
    certificate: str = ""
    updated_since: dt.date | None = None
    q: str = ""


class EventOut(Schema):
    status: str
    occurred_on: dt.date
    source: str
    work_province: str
    work_city: str
    work_place: str
    employer_name: str
    monthly_income: int | None


class PersonOut(Schema):
    id: int
    name: str
    id_number: str
    gender: str
    birth_date: dt.date
    phone: str
    village_code: str
    household_id: int | None
    poverty_category: str | None
    status: str
    status_since: dt.date | None
    intent: str
    skills: list[str]
    certificates: list[str]
    is_three_without: bool
    updated_at: dt.datetime

    @staticmethod
    def resolve_id_number(obj: Any) -> str:
        return str(obj.id_masked)

    @staticmethod
    def resolve_phone(obj: Any) -> str:
        return str(obj.phone_masked)

    @staticmethod
    def resolve_poverty_category(obj: Any) -> str | None:
        return obj.household.poverty_category if obj.household_id else None


class PersonDetailOut(PersonOut):
    employment_events: list[EventOut]

    @staticmethod
    def resolve_employment_events(obj: Any) -> list[Any]:
        return list(obj.employment_events.all()[:100])


@router.get("/persons", response=list[PersonOut])
@paginate(PageNumberPagination, page_size=100)
def persons(request: HttpRequest, filters: Query[PersonFilterIn]) -> Any:
    user = require(request, "registry.view")
    f = PersonFilters(**filters.dict())
    audit_record(
        action=Action.VIEW,
        actor=user,
        object_type="registry.person",
        request=request,
        changes={"list": True, "api": True, "filters": {k: str(v) for k, v in filters.dict().items() if v}},
    )
    return person_list(user=user, filters=f)


@router.get("/persons/{person_id}", response=PersonDetailOut)
def person(request: HttpRequest, person_id: int) -> Any:
    user = require(request, "registry.view")
    obj = get_object_or_404(person_list(user=user), pk=person_id)
    audit_record(
        action=Action.VIEW,
        actor=user,
        object_type="registry.person",
        object_id=obj.pk,
        request=request,
        changes={"api": True},
    )
    return obj
