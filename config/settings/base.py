"""Settings shared by every environment. Values that vary come from ``env.py``'s table."""

from __future__ import annotations

import dj_database_url
from django.utils.translation import gettext_lazy as _

from .env import BASE_DIR, VAR_DIR, env_bool, env_list, env_str, persistent_secret

DEBUG = env_bool("WENGANG_DEBUG")
WENGANG_DEMO = env_bool("WENGANG_DEMO")
SECRET_KEY = persistent_secret("WENGANG_SECRET_KEY", "secret_key")
WENGANG_FIELD_KEY = persistent_secret("WENGANG_FIELD_KEY", "field_key", nbytes=32)
ALLOWED_HOSTS = env_list("WENGANG_ALLOWED_HOSTS")
WENGANG_CITY_CODE = env_str("WENGANG_CITY_CODE")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "wengang.core",
    "wengang.regions",
    "wengang.employers",
    "wengang.accounts",
    "wengang.audit",
    "wengang.registry",
    "wengang.jobs",
    "wengang.training",
    "wengang.assistance",
    "wengang.matching",
    "wengang.outreach",
    "wengang.workers",
    "wengang.portal",
    "wengang.background",
    "wengang.dashboards",
    "wengang.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "wengang.accounts.middleware.StaffSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "wengang" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "wengang.dashboards.context_processors.navigation",
            ],
        },
    },
]

_default_db = f"sqlite:///{VAR_DIR / 'wengang.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL") or _default_db, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so the audit chain's read-last-then-append never races.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["wengang.accounts.backends.StaffBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboards:home"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "wengang.accounts.validators.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# 等保 level 3: idle timeout 30 minutes, refreshed on every request.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
WENGANG_LOCKOUT_FAILURES = 5
WENGANG_LOCKOUT_MINUTES = 30
WENGANG_ADMIN_2FA_ROLES = ("city_admin", "county_admin", "auditor")

LANGUAGE_CODE = env_str("WENGANG_LANGUAGE")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "wengang" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise serves from finders; keep it quiet
STATICFILES_DIRS = [BASE_DIR / "wengang" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Celery: the embedded default is a SQLite-backed broker (kombu's SQLAlchemy transport), so a demo needs no
# extra server; production points CELERY_BROKER_URL at Redis or RabbitMQ.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# Periodic work (run ``celery beat``, or a worker with ``-B`` as ``make demo`` does).
CELERY_BEAT_SCHEDULE = {
    "close-expired-postings": {"task": "jobs.close_expired_postings", "schedule": 3600.0},
    "open-priority-cases": {"task": "assistance.open_priority_cases", "schedule": 86400.0},
    "outreach-relay": {"task": "outreach.relay", "schedule": 10.0},
    "outreach-start-due-campaigns": {"task": "outreach.start_due_campaigns", "schedule": 60.0},
    "outreach-purge": {"task": "outreach.purge", "schedule": 86400.0},
    "workers-purge-login-codes": {"task": "workers.purge_login_codes", "schedule": 86400.0},
}

# Outreach (see wengang/outreach). Rates and quotas per channel are the gateway contracts'.
WENGANG_PUBLIC_URL = env_str("WENGANG_PUBLIC_URL").rstrip("/")
WENGANG_OUTREACH = {
    "sms_signature": env_str("WENGANG_SMS_SIGNATURE"),
    "backends": {
        "sms": env_str("WENGANG_SMS_BACKEND"),
        "wechat": env_str("WENGANG_WECHAT_BACKEND"),
        "email": "smtp" if env_str("WENGANG_EMAIL_HOST") else "console",
    },
    "rate_per_s": {
        "sms": float(env_str("WENGANG_SMS_RATE")),
        "wechat": float(env_str("WENGANG_WECHAT_RATE")),
        "email": float(env_str("WENGANG_EMAIL_RATE")),
    },
    "daily_quota": {
        "sms": int(env_str("WENGANG_SMS_DAILY_QUOTA")),
        "wechat": int(env_str("WENGANG_WECHAT_DAILY_QUOTA")),
        "email": int(env_str("WENGANG_EMAIL_DAILY_QUOTA")),
    },
    # No SMS from 21:00 to 08:00 unless urgent: held, not dropped.
    "quiet_hours": (21, 8),
    "quiet_channels": ("sms",),
    # A message claimed by a relay that died is retried after the lease; for gateways that report the
    # submission by our id (Kannel's delivery-report address carries it), only after this grace with no
    # report.
    "lease_s": float(env_str("WENGANG_OUTREACH_LEASE_S")),
    "receipt_grace_s": float(env_str("WENGANG_RECEIPT_GRACE_S")),
    "max_attempts": 8,
    "approval_size": int(env_str("WENGANG_CAMPAIGN_APPROVAL_SIZE")),
    "retention_days": int(env_str("WENGANG_MESSAGE_RETENTION_DAYS")),
    "kannel": {
        "url": env_str("WENGANG_KANNEL_URL"),
        "user": env_str("WENGANG_KANNEL_USER"),
        "password": env_str("WENGANG_KANNEL_PASSWORD"),
        "from": env_str("WENGANG_KANNEL_FROM"),
        "smsc": env_str("WENGANG_KANNEL_SMSC"),
        "callback_url": env_str("WENGANG_KANNEL_CALLBACK_URL"),
        "dlr_mask": int(env_str("WENGANG_KANNEL_DLR_MASK")),
        "workers": int(env_str("WENGANG_KANNEL_WORKERS")),
    },
    # Replies from gateways (Kannel's sms-service) must carry this token; empty refuses them all.
    "gateway_token": env_str("WENGANG_GATEWAY_TOKEN"),
    "smpp": {
        "host": env_str("WENGANG_SMPP_HOST"),
        "port": int(env_str("WENGANG_SMPP_PORT")),
        "system_id": env_str("WENGANG_SMPP_SYSTEM_ID"),
        "password": env_str("WENGANG_SMPP_PASSWORD"),
        "source": env_str("WENGANG_SMPP_SOURCE"),
    },
    "wechat": {
        "api": env_str("WENGANG_WECHAT_API").rstrip("/"),
        "appid": env_str("WENGANG_WECHAT_APPID"),
        "secret": env_str("WENGANG_WECHAT_SECRET"),
        "token": env_str("WENGANG_WECHAT_TOKEN"),
        "template_id": env_str("WENGANG_WECHAT_TEMPLATE_ID"),
    },
    "email": {
        "host": env_str("WENGANG_EMAIL_HOST"),
        "port": int(env_str("WENGANG_EMAIL_PORT")),
        "from": env_str("WENGANG_EMAIL_FROM"),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "wengang.core.logging.RedactPersonalDataFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact"], "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
