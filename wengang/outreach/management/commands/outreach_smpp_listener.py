"""Stay bound to the SMSC and apply what it sends: delivery receipts (to the outbox) and replies ("TD")."""

from django.core.management.base import BaseCommand

from wengang.outreach.backends.smpp import smpp_listen


class Command(BaseCommand):
    help = (
        "Bind to the SMPP server in WENGANG_OUTREACH['smpp'] and apply delivery receipts and replies "
        "until stopped (or for --seconds)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--bind",
            choices=("receiver", "transceiver"),
            default="transceiver",
            help="Bind type (default transceiver, which every SMSC routes receipts and replies to).",
        )
        parser.add_argument("--seconds", type=float, default=None, help="Stop after this many seconds.")

    def handle(self, *args, bind, seconds, **options):
        handled = smpp_listen(bind=bind, seconds=seconds)
        self.stdout.write(f"handled {handled} deliver_sm")
