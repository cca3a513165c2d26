"""The audit chain: appended in the caller's transaction, verified end to end, tampering found."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from wengang.audit.models import AuditEvent
from wengang.audit.services import GENESIS, HASHED_FIELDS, audit_record, audit_verify, verify_rows

BACKEND = "wengang.accounts.backends.StaffBackend"


def _rows():
    return list(AuditEvent.objects.order_by("id").values_list(*HASHED_FIELDS, "prev_hash", "hash"))


def _tamper(sql: str, params: list) -> None:
    """Change a row behind the application's back, as an attacker with database access would."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL session_replication_role = replica")  # skips the append-only trigger
        else:
            cur.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_update")
        cur.execute(sql, params)


@pytest.mark.django_db
def test_events_form_a_chain():
    a = audit_record(action="view", actor_username="a", object_type="x", changes={"n": 1})
    b = audit_record(action="update", actor_username="b", object_type="x", object_id=7, reason="改正")
    assert a.prev_hash == GENESIS
    assert b.prev_hash == a.hash
    assert b.id == a.id + 1
    assert audit_verify().ok
    assert audit_verify().checked == 2


def _failing_change():
    with transaction.atomic():
        audit_record(action="update", actor_username="a")
        raise RuntimeError("the business change failed")


@pytest.mark.django_db
def test_audit_row_rolls_back_with_the_change_it_records():
    with pytest.raises(RuntimeError):
        _failing_change()
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_reason_never_carries_a_full_id_or_phone():
    event = audit_record(
        action="unmask", actor_username="a", reason="核对 410329199001011234 电话 13912345678"
    )
    assert event.reason == "核对 410329********1234 电话 139****5678"


@pytest.mark.django_db
def test_edited_row_is_named():
    for i in range(5):
        audit_record(action="view", actor_username=f"u{i}")
    third = AuditEvent.objects.order_by("id")[2]
    _tamper("UPDATE audit_auditevent SET actor_username = %s WHERE id = %s", ["mallory", third.id])
    result = audit_verify()
    assert (result.ok, result.broken_id, result.reason, result.checked) == (False, third.id, "hash", 2)


@pytest.mark.django_db
def test_deleted_row_is_named():
    for i in range(4):
        audit_record(action="view", actor_username=f"u{i}")
    second = AuditEvent.objects.order_by("id")[1]
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [second.id])
    result = audit_verify()
    assert (result.ok, result.broken_id, result.reason) == (False, second.id + 1, "gap")


def test_rewritten_chain_is_caught_by_prev_hash():
    rows = [(1, *([None] * 10)), (2, *([None] * 10))]
    assert verify_rows([(*rows[0], "f" * 64, "x")]).reason == "prev_hash"


@pytest.mark.django_db
def test_database_rejects_update():
    audit_record(action="view", actor_username="a")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.update(actor_username="mallory")
    assert AuditEvent.objects.get().actor_username == "a"


@pytest.mark.django_db
@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="the DELETE trigger exists on PostgreSQL only"
)
def test_postgresql_rejects_delete():
    audit_record(action="view", actor_username="a")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db
def test_audit_verify_command(capsys):
    for i in range(3):
        audit_record(action="view", actor_username=f"u{i}")
    call_command("audit_verify")
    assert "审计链完好：共 3 条" in capsys.readouterr().out
    _tamper(
        "UPDATE audit_auditevent SET reason = %s WHERE id = %s",
        ["x", AuditEvent.objects.order_by("id")[1].id],
    )
    with pytest.raises(CommandError, match="断开"):
        call_command("audit_verify")


@pytest.mark.django_db
def test_auditor_searches_exports_and_verifies_from_the_page(
    client, people, django_capture_on_commit_callbacks
):
    audit_record(action="unmask", actor_username="t_county", reason="核实联系方式")
    client.force_login(people["auditor"], backend=BACKEND)
    page = client.get(reverse("audit:event_list"), {"action": "unmask"})
    assert [e.reason for e in page.context["page"]] == ["核实联系方式"]
    export = client.get(reverse("audit:event_export"), {"actor": "t_county"})
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEvent.objects.filter(action="export", actor_username="t_auditor").count() == 1
    # Tasks run eagerly in tests: the task page shows the finished verification.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("audit:verify_start"))
    detail = client.get(response["Location"])
    task = detail.context["task"]
    assert task.status == "succeeded"
    assert task.result["ok"] is True
    assert task.result["checked"] == AuditEvent.objects.count() - 1  # the verify event itself comes after
    assert 'data-testid="verify-ok"' in detail.content.decode()
