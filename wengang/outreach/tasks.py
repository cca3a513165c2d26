from celery import shared_task

from . import campaigns as _campaigns  # noqa: F401  (registers the "outreach.campaign_queue" kind)
from .choices import RELAYED_CHANNELS


@shared_task(name="outreach.relay")
def relay(channel: str | None = None) -> None:
    """Relay the due messages of one channel, or of every relayed channel (beat runs this every 10 s)."""
    from .relay import relay_drain

    for name in [channel] if channel else sorted(RELAYED_CHANNELS):
        relay_drain(name, max_seconds=9.0)


@shared_task(name="outreach.start_due_campaigns")
def start_due_campaigns() -> None:
    from .campaigns import campaigns_start_due

    campaigns_start_due()


@shared_task(name="outreach.purge")
def purge() -> None:
    from .retention import messages_purge

    messages_purge()
