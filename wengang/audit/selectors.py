"""Reads on the audit log: only auditors read it (三权分立)."""

from __future__ import annotations

import ipaddress
from datetime import date, datetime, time
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import AuditEvent


def audit_event_list(
    *,
    user: Any,
    actor: str = "",
    action: str = "",
    object_type: str = "",
    result: str = "",
    q: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[AuditEvent]:
    if not user.can("audit.view"):
        return AuditEvent.objects.none()
    qs = AuditEvent.objects.all()
    if actor:
        qs = qs.filter(actor_username__icontains=actor)
    if action:
        qs = qs.filter(action=action)
    if object_type:
        qs = qs.filter(object_type__icontains=object_type)
    if result:
        qs = qs.filter(result=result)
    if q:
        cond = Q(reason__icontains=q) | Q(object_id=q) | Q(actor_username__iexact=q)
        if _is_ip(q):
            cond |= Q(ip=q)
        qs = qs.filter(cond)
    tz = timezone.get_current_timezone()
    if date_from:
        qs = qs.filter(created_at__gte=datetime.combine(date_from, time.min, tzinfo=tz))
    if date_to:
        qs = qs.filter(created_at__lte=datetime.combine(date_to, time.max, tzinfo=tz))
    return qs.order_by("-id")


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
