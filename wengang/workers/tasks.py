from celery import shared_task


@shared_task(name="workers.purge_login_codes")
def purge_login_codes() -> int:
    """Old one-time codes are only needed for today's caps; beat runs this daily."""
    from .auth_services import login_codes_purge

    return login_codes_purge()
