"""One typed table of every setting that comes from the environment, with safe defaults.

Modelled on UNICEF HOPE's ``config/env.py``: each variable is declared once with its type, default and
meaning, so operators can read the whole surface in one place and nothing secret lives in git.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("WENGANG_VAR_DIR", BASE_DIR / "var"))


@dataclass(frozen=True)
class Var:
    name: str
    default: str
    help: str
    secret: bool = False


TABLE: tuple[Var, ...] = (
    Var("WENGANG_DEBUG", "0", "1 turns on Django's debug pages (never in production)."),
    Var("WENGANG_DEMO", "0", "1 marks a demo install: prints one-time codes on the console."),
    Var("DATABASE_URL", "", "Database URL; empty means the SQLite file var/wengang.sqlite3."),
    Var(
        "CELERY_BROKER_URL", "", "Broker URL (redis://, amqp://); empty means the SQLite-backed local broker."
    ),
    Var(
        "WENGANG_SECRET_KEY", "", "Django secret key; empty means one generated once into var/.", secret=True
    ),
    Var(
        "WENGANG_FIELD_KEY",
        "",
        "Base64 key for field encryption; empty means one generated into var/.",
        secret=True,
    ),
    Var("WENGANG_ALLOWED_HOSTS", "127.0.0.1,localhost", "Comma-separated host names served."),
    Var("WENGANG_CITY_CODE", "410300", "Area code of the city (or province) this install serves."),
    Var("WENGANG_LANGUAGE", "zh-hans", "Default interface language (zh-hans or en)."),
    Var(
        "WENGANG_PUBLIC_URL", "http://127.0.0.1:8000", "Address of the site as workers and gateways reach it."
    ),
    Var("WENGANG_SMS_SIGNATURE", "洛阳人社", "SMS signature, shown in 【】 at the head of every text."),
    Var("WENGANG_SMS_BACKEND", "console", "SMS gateway: console (log only), kannel or smpp."),
    Var("WENGANG_SMS_RATE", "100", "SMS messages per second the gateway contract allows."),
    Var("WENGANG_SMS_DAILY_QUOTA", "2000000", "SMS messages per day the gateway contract allows."),
    Var("WENGANG_KANNEL_URL", "http://127.0.0.1:13013/cgi-bin/sendsms", "Kannel smsbox sendsms address."),
    Var("WENGANG_KANNEL_USER", "wengang", "Kannel sendsms user."),
    Var("WENGANG_KANNEL_PASSWORD", "", "Kannel sendsms password.", secret=True),
    Var("WENGANG_KANNEL_FROM", "12333", "Sender number (or service code) for Kannel."),
    Var("WENGANG_KANNEL_SMSC", "", "Kannel smsc-id to route through (empty: Kannel chooses)."),
    Var(
        "WENGANG_KANNEL_CALLBACK_URL",
        "",
        "Address of this site as Kannel reaches it, for delivery reports (empty: WENGANG_PUBLIC_URL).",
    ),
    Var("WENGANG_KANNEL_DLR_MASK", "31", "Kannel delivery reports asked for (31: all; 0: none)."),
    Var("WENGANG_KANNEL_WORKERS", "32", "Requests to Kannel in flight at once."),
    Var(
        "WENGANG_GATEWAY_TOKEN",
        "",
        "Shared token gateways send with replies (Kannel sms-service get-url); empty refuses all.",
        secret=True,
    ),
    Var(
        "WENGANG_OUTREACH_LEASE_S", "60", "Seconds a relay holds a claimed batch before another may retry it."
    ),
    Var(
        "WENGANG_RECEIPT_GRACE_S",
        "600",
        "Seconds after a lease ran out to wait for a gateway's submission report before sending again.",
    ),
    Var("WENGANG_SMPP_HOST", "127.0.0.1", "SMPP server host."),
    Var("WENGANG_SMPP_PORT", "2775", "SMPP server port."),
    Var("WENGANG_SMPP_SYSTEM_ID", "wengang", "SMPP system_id."),
    Var("WENGANG_SMPP_PASSWORD", "", "SMPP password.", secret=True),
    Var("WENGANG_SMPP_SOURCE", "12333", "SMPP source address."),
    Var("WENGANG_WECHAT_BACKEND", "console", "WeChat Official Account: console (log only) or api."),
    Var("WENGANG_WECHAT_API", "https://api.weixin.qq.com", "WeChat API base address."),
    Var("WENGANG_WECHAT_APPID", "", "WeChat Official Account AppID."),
    Var("WENGANG_WECHAT_SECRET", "", "WeChat Official Account AppSecret.", secret=True),
    Var("WENGANG_WECHAT_TOKEN", "", "Token of the WeChat callback (empty: callbacks refused).", secret=True),
    Var(
        "WENGANG_WECHAT_TEMPLATE_ID",
        "",
        "Default WeChat template (fields first, keyword1, keyword2, remark).",
    ),
    Var("WENGANG_WECHAT_RATE", "100", "WeChat messages per second."),
    Var("WENGANG_WECHAT_DAILY_QUOTA", "1000000", "WeChat messages per day."),
    Var("WENGANG_EMAIL_RATE", "10", "E-mails per second."),
    Var("WENGANG_EMAIL_DAILY_QUOTA", "10000", "E-mails per day."),
    Var("WENGANG_EMAIL_HOST", "", "SMTP server for e-mail to enterprises (empty: log only)."),
    Var("WENGANG_EMAIL_PORT", "25", "SMTP port."),
    Var("WENGANG_EMAIL_FROM", "noreply@wengang.invalid", "From address of e-mail."),
    Var(
        "WENGANG_CAMPAIGN_APPROVAL_SIZE", "1000", "Campaigns to more people than this need a second approver."
    ),
    Var("WENGANG_MESSAGE_RETENTION_DAYS", "180", "Days message texts are kept before they are purged."),
)
_BY_NAME = {v.name: v for v in TABLE}


def env_str(name: str) -> str:
    return os.environ.get(name, _BY_NAME[name].default)


def env_bool(name: str) -> bool:
    return env_str(name).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str) -> list[str]:
    return [item.strip() for item in env_str(name).split(",") if item.strip()]


def persistent_secret(name: str, filename: str, nbytes: int = 48) -> str:
    """Return the env value, or a random secret generated once into var/ for an embedded install."""
    value = env_str(name)
    if value:
        return value
    path = VAR_DIR / filename
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(nbytes)
    path.write_text(value)
    path.chmod(0o600)
    return value
