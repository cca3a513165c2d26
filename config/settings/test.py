"""Settings for the test suite: fast hashing, tasks run eagerly unless a test starts a real worker."""

import os

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
LANGUAGE_CODE = "zh-hans"

# A file, not memory, so a Celery worker thread and the live server share the test database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # One file per test process, so parallel runs on one machine never share (or delete) each other's.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-wengang-{os.getpid()}.sqlite3")}  # noqa: F405

# Outreach gateways: an in-memory backend unless a test points a channel at a real gateway.
WENGANG_OUTREACH = {  # noqa: F405
    **WENGANG_OUTREACH,  # noqa: F405
    "backends": {"sms": "memory", "wechat": "memory", "email": "memory"},
    # Tests run at any hour: no quiet hours unless a test turns them on (and then it sets the clock itself).
    "quiet_channels": (),
}
