"""A real task through a real Celery worker, on every broker the platform supports.

The embedded default is kombu's SQLAlchemy transport on a SQLite file; production uses Redis or RabbitMQ
(both run on CI's machine). Each case starts a worker thread, starts the audit-chain verification the way
the page does (row written, message sent on commit), and waits for the worker to finish it.
"""

from __future__ import annotations

import time

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from kombu import Connection

from wengang.accounts.models import User
from wengang.audit import tasks as audit_tasks  # noqa: F401  (registers the audit.verify kind)
from wengang.audit.services import audit_record
from wengang.background import tasks as background_tasks  # noqa: F401  (registers the Celery task)
from wengang.background.models import BackgroundTask
from wengang.background.services import background_task_start


def _broker_urls(tmp_path_factory):
    broker_file = tmp_path_factory.mktemp("broker") / "broker.sqlite3"
    return {
        "sqlite": f"sqla+sqlite:///{broker_file}",
        "redis": "redis://127.0.0.1:6379/15",
        "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//",
    }


def _reachable(url: str) -> bool:
    try:
        with Connection(url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception:
        return False
    return True


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("broker", ["sqlite", "redis", "rabbitmq"])
def test_task_runs_through_a_real_worker(broker, tmp_path_factory):
    url = _broker_urls(tmp_path_factory)[broker]
    if not _reachable(url):
        pytest.fail(f"{broker} broker is not reachable at {url}; .ci/run starts it")
    app = Celery(f"wengang-test-{broker}", broker=url, set_as_current=False)
    app.conf.update(
        task_always_eager=False,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        task_default_queue=f"wengang-test-{broker}",
    )
    auditor = User.objects.create(username=f"aud_{broker}", roles=["auditor"], scope_code="410300")
    for i in range(3):
        audit_record(action="view", actor_username=f"u{i}")
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=15):
        app.set_current()
        try:
            task = background_task_start(kind="audit.verify", user=auditor)
            deadline = time.monotonic() + 60
            task.refresh_from_db()
            while task.status not in ("succeeded", "failed") and time.monotonic() < deadline:
                time.sleep(0.2)
                task.refresh_from_db()
        finally:
            from config.celery import app as default_app

            default_app.set_current()
            default_app.set_default()  # start_worker made the test app the process default
    assert task.status == "succeeded", task.message
    assert task.progress == 100
    assert task.result == {"checked": 3, "ok": True, "broken_id": None, "reason": "", "reason_display": ""}
    assert BackgroundTask.objects.get(pk=task.pk).finished_at is not None


def test_threads_without_a_current_app_send_through_the_project_app():
    """Web-server threads have no current Celery app of their own; they must use the configured one."""
    import threading

    import celery

    from config.celery import app

    seen = []
    thread = threading.Thread(target=lambda: seen.append(celery.current_app._get_current_object()))
    thread.start()
    thread.join()
    assert seen == [app]
