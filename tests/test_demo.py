"""`make demo`'s loader: one account per role with the usernames scripts rely on, nothing loaded twice."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from wengang.accounts.models import User
from wengang.employers.models import Enterprise
from wengang.regions.models import Region
from wengang.registry.models import Person

USERNAMES = {
    "city",
    "county410329",
    "county410307",
    "specialist410329",
    "employer1",
    "employer2",
    "health410329",
    "liaison",
    "viewer",
    "auditor",
}


@pytest.mark.django_db
def test_demo_load_is_idempotent(capsys):
    call_command("demo_load", "--people", "40")
    first = capsys.readouterr().out
    regions, users, enterprises = Region.objects.count(), User.objects.count(), Enterprise.objects.count()
    assert Person.objects.count() == 40
    call_command("demo_load", "--people", "40")
    second = capsys.readouterr().out
    assert Person.objects.count() == 40
    assert (Region.objects.count(), User.objects.count(), Enterprise.objects.count()) == (
        regions,
        users,
        enterprises,
    )
    # Besides the staff accounts: the demo worker's account and one awaiting review (wengang.workers.demo).
    assert set(User.objects.exclude(roles=["worker"]).values_list("username", flat=True)) == USERNAMES
    assert "Wengang#2026" in first
    assert "Wengang#2026" in second
    for name in USERNAMES:
        assert name in second


@pytest.mark.django_db
def test_demo_accounts_have_the_documented_roles_and_scopes():
    call_command("demo_load", "--quiet-logins", "--people", "40")
    roles = {u.username: (u.roles, u.scope_code) for u in User.objects.all()}
    assert roles["city"] == (["city_admin"], "410300")
    assert roles["county410329"] == (["county_admin"], "410329")
    assert roles["specialist410329"][1].startswith("410329")
    assert len(roles["specialist410329"][1]) == 9
    assert roles["auditor"] == (["auditor"], "410300")
    e1 = User.objects.get(username="employer1").enterprise
    e2 = User.objects.get(username="employer2").enterprise
    assert e1 is not None
    assert e2 is not None
    assert e1 != e2
    assert User.objects.get(username="city").totp_confirmed_at is not None
