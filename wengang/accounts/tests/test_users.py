"""Account management: who may create and disable whom, password rules, unmasking, API tokens."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse

from wengang.accounts.models import ApiToken, User, validate_roles
from wengang.accounts.services import token_create, user_create, user_disable, user_phone_unmask
from wengang.accounts.validators import CharacterClassValidator
from wengang.audit.models import AuditEvent

BACKEND = "wengang.accounts.backends.StaffBackend"
GOOD = "Str0ng#Pass"


@pytest.mark.django_db
def test_county_admin_creates_a_specialist_in_their_county(people):
    user = user_create(
        actor=people["county_admin"],
        username="new_spec",
        password=GOOD,
        roles=["specialist"],
        scope_code="410329002",
        full_name="新专员",
        phone="13700001111",
    )
    assert user.roles == ["specialist"]
    assert user.scope_code == "410329002"
    assert "13700001111" not in user.phone_encrypted
    event = AuditEvent.objects.get(action="create", object_id=str(user.pk))
    assert event.actor_username == "t_county"
    assert event.changes["phone"] == "137****1111"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("roles", "scope"),
    [
        (["specialist"], "410307001"),
        (["city_admin"], "410329"),
        (["auditor"], "410329"),
        (["specialist"], "410300"),
    ],
)
def test_county_admin_cannot_step_outside_their_county_or_rank(people, roles, scope):
    count = User.objects.count()
    with pytest.raises(PermissionDenied):
        user_create(actor=people["county_admin"], username="x", password=GOOD, roles=roles, scope_code=scope)
    assert User.objects.count() == count


@pytest.mark.django_db
def test_non_admins_cannot_create_accounts(people):
    with pytest.raises(PermissionDenied):
        user_create(
            actor=people["specialist"],
            username="x",
            password=GOOD,
            roles=["specialist"],
            scope_code="410329001",
        )
    assert not User.objects.filter(username="x").exists()


def test_auditor_cannot_be_combined_with_another_role():
    with pytest.raises(ValidationError) as exc:
        validate_roles(["auditor", "county_admin"])
    assert exc.value.messages == ["安全审计员角色不能与其他任何角色授予同一账户。"]
    validate_roles(["auditor"])
    validate_roles(["specialist", "health_officer"])


@pytest.mark.django_db
def test_city_admin_cannot_create_a_combined_auditor(people):
    with pytest.raises(ValidationError):
        user_create(
            actor=people["city_admin"],
            username="x",
            password=GOOD,
            roles=["auditor", "viewer"],
            scope_code="410300",
        )
    assert not User.objects.filter(username="x").exists()


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("abcdefghij", False),
        ("abcdefgh12", False),
        ("Abcdefgh12", True),
        ("abcdefgh1!", True),
        ("Ab1!", False),
    ],
)
def test_password_rules(password, ok):
    from django.contrib.auth.password_validation import validate_password

    if ok:
        validate_password(password)
    else:
        with pytest.raises(ValidationError):
            validate_password(password)
    assert CharacterClassValidator.classes("Ab1!") == 4


@pytest.mark.django_db
def test_weak_password_is_refused_with_a_chinese_reason(people):
    with pytest.raises(ValidationError) as exc:
        user_create(
            actor=people["county_admin"],
            username="weak",
            password="abcdefghijk",
            roles=["specialist"],
            scope_code="410329001",
        )
    assert any("至少包含" in m for m in exc.value.messages)
    assert not User.objects.filter(username="weak").exists()


@pytest.mark.django_db
def test_create_and_disable_through_the_pages(client, people):
    client.force_login(people["county_admin"], backend=BACKEND)
    response = client.post(
        reverse("accounts:user_create"),
        {
            "username": "page_spec",
            "full_name": "页面专员",
            "phone": "13600002222",
            "roles": ["specialist"],
            "scope_code": "410329003",
            "password": GOOD,
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    user = User.objects.get(username="page_spec")
    response = client.post(reverse("accounts:user_disable", kwargs={"pk": user.pk}), {"reason": "调岗"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_active is False
    assert AuditEvent.objects.get(action="disable", object_id=str(user.pk)).reason == "调岗"


@pytest.mark.django_db
def test_page_refuses_out_of_scope_creation_and_writes_nothing(client, people):
    client.force_login(people["county_admin"], backend=BACKEND)
    response = client.post(
        reverse("accounts:user_create"),
        {
            "username": "sneaky",
            "full_name": "x",
            "roles": ["specialist"],
            "scope_code": "410307001",
            "password": GOOD,
        },
    )
    assert response.status_code == 200
    assert "超出" in str(response.context["form"].non_field_errors())
    assert not User.objects.filter(username="sneaky").exists()


@pytest.mark.django_db
def test_admin_cannot_disable_self(people):
    with pytest.raises(PermissionDenied):
        user_disable(actor=people["county_admin"], user=people["county_admin"])
    people["county_admin"].refresh_from_db()
    assert people["county_admin"].is_active


@pytest.mark.django_db
def test_unmask_needs_permission_and_reason_and_is_audited(client, people):
    target = people["specialist"]
    with pytest.raises(ValidationError):
        user_phone_unmask(actor=people["county_admin"], user=target, reason="")
    assert (
        user_phone_unmask(actor=people["county_admin"], user=target, reason="核实联系方式") == "13912345678"
    )
    event = AuditEvent.objects.filter(action="unmask").latest("id")
    assert (event.actor_username, event.reason, event.result) == ("t_county", "核实联系方式", "success")
    with pytest.raises(PermissionDenied):
        user_phone_unmask(actor=people["viewer"], user=target, reason="好奇")
    assert AuditEvent.objects.filter(action="unmask", result="denied").count() == 1


@pytest.mark.django_db
def test_list_page_shows_phones_masked(client, people):
    client.force_login(people["county_admin"], backend=BACKEND)
    html = client.get(reverse("accounts:user_list")).content.decode()
    assert "139****5678" in html
    assert "13912345678" not in html


@pytest.mark.django_db
def test_bearer_token_and_cli(client, people, capsys):
    token = token_create(user=people["county_admin"])
    assert ApiToken.objects.get().key_hash != token
    me = client.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert me.status_code == 200
    assert me.json()["username"] == "t_county"
    assert client.get("/api/v1/accounts/me", HTTP_AUTHORIZATION="Bearer wg_nope").status_code == 401
    call_command("token_create", "t_spec")
    cli_token = capsys.readouterr().out.strip()
    assert (
        client.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {cli_token}").json()["username"]
        == "t_spec"
    )
    user_disable(actor=people["county_admin"], user=people["specialist"])
    assert client.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {cli_token}").status_code == 401


@pytest.mark.django_db
def test_session_auth_works_for_the_api(client, people):
    client.force_login(people["viewer"], backend=BACKEND)
    assert client.get("/api/v1/accounts/me").json()["roles"] == ["viewer"]


def test_wengang_console_command_maps_dashed_names(capsys):
    from wengang.cli import main

    with pytest.raises(SystemExit):
        main(["wengang", "token-create", "--help"])
    assert "API token" in capsys.readouterr().out


@pytest.mark.django_db
def test_user_create_command(people, capsys):
    call_command("user_create", "cli_user", "--role", "viewer", "--scope", "410300", "--password", GOOD)
    assert User.objects.get(username="cli_user").roles == ["viewer"]


@pytest.mark.django_db
def test_password_change_ends_other_sessions(people):
    from django.test import Client

    from wengang.accounts.models import UserSession
    from wengang.accounts.tests.factories import PASSWORD

    here, elsewhere = Client(), Client()
    for c in (here, elsewhere):
        c.post("/accounts/login/", {"username": "t_spec", "password": PASSWORD})
    url = reverse("accounts:password_change")
    wrong = here.post(url, {"old_password": "nope", "new_password": GOOD, "new_password2": GOOD})
    assert wrong.context["form"].errors["old_password"] == ["当前密码不正确。"]
    weak = here.post(
        url, {"old_password": PASSWORD, "new_password": "abcdefghijk", "new_password2": "abcdefghijk"}
    )
    assert weak.status_code == 200
    assert weak.context["form"].errors["new_password"]
    done = here.post(url, {"old_password": PASSWORD, "new_password": GOOD, "new_password2": GOOD})
    assert done.status_code == 302
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    assert UserSession.objects.filter(user=people["specialist"]).count() == 1
    people["specialist"].refresh_from_db()
    assert people["specialist"].check_password(GOOD)


@pytest.mark.django_db
def test_second_factor_reset(client, people):
    from wengang.accounts.services import user_second_factor_reset

    target = people["county_admin"]
    with pytest.raises(PermissionDenied):
        user_second_factor_reset(actor=people["other_county_admin"], user=target, reason="丢失手机")
    with pytest.raises(PermissionDenied):
        user_second_factor_reset(actor=target, user=target, reason="丢失手机")
    target.refresh_from_db()
    assert target.totp_confirmed_at is not None
    client.force_login(people["city_admin"], backend=BACKEND)
    response = client.post(
        reverse("accounts:user_reset_2fa", kwargs={"pk": target.pk}), {"reason": "丢失手机"}
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.totp_secret_encrypted, target.totp_confirmed_at) == ("", None)
    assert AuditEvent.objects.get(action="two_factor").reason == "丢失手机"
