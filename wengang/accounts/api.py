from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from wengang.api.perms import require
from wengang.audit.models import Action
from wengang.audit.services import audit_record

from .selectors import user_list
from .services import user_phone_display

router = Router(tags=["accounts"])


class MeOut(Schema):
    username: str
    full_name: str
    roles: list[str]
    scope_code: str
    enterprise_id: int | None


class UserOut(Schema):
    id: int
    username: str
    full_name: str
    roles: list[str]
    scope_code: str
    phone: str
    is_active: bool

    @staticmethod
    def resolve_phone(obj: Any) -> str:
        return user_phone_display(obj)


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


@router.get("/users", response=list[UserOut])
@paginate(PageNumberPagination, page_size=50)
def users(request: HttpRequest, q: str = "", role: str = "", active: str = "") -> Any:
    actor = require(request, "users.view")
    qs = user_list(user=actor, q=q, role=role, active=active)
    audit_record(
        action=Action.VIEW,
        actor=actor,
        object_type="accounts.user",
        changes={"list": True, "api": True, "filters": {"q": q, "role": role, "active": active}},
        request=request,
    )
    return qs
