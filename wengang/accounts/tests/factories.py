from __future__ import annotations

from django.utils import timezone

from wengang.accounts.models import User
from wengang.accounts.services import totp_provision

PASSWORD = "Test#Passw0rd"


def make_user(
    username: str,
    role: str,
    scope: str,
    *,
    enterprise=None,
    phone: str = "13912345678",
    password: str = PASSWORD,
) -> User:
    """A ready account. Admin roles get a confirmed TOTP secret, as after enrolment."""
    from wengang.core import crypto

    user = User(
        username=username,
        roles=[role],
        scope_code=scope,
        full_name=f"测试{username}",
        enterprise=enterprise,
        phone_encrypted=crypto.encrypt(phone),
        phone_hash=crypto.blind_index(phone),
    )
    user.set_password(password)
    user.save()
    if role in ("city_admin", "county_admin", "auditor"):
        totp_provision(user=user)
        user.totp_confirmed_at = timezone.now()
        user.save(update_fields=["totp_confirmed_at"])
    return user
