"""A real Kannel on localhost for the tests: bearerbox + smsbox, with ``fakesmsc`` playing the operator.

``KannelGateway`` writes a kannel.conf with free ports into a directory, starts the three programs, waits
until the fake SMSC is online and smsbox answers, and reads what fakesmsc received from its output
(concatenated parts are joined again, UCS-2 decoded). ``mo()`` sends a reply from a phone: fakesmsc sends
the messages on its command line, so a new fakesmsc is started with the reply (the old one is stopped first;
bearerbox keeps what it could not deliver meanwhile).

Debian's ``kannel`` and ``kannel-extras`` packages provide the programs (``make gateway-deps``); without them
``require_kannel()`` skips the test and says why.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes

import pytest

BEARERBOX = os.environ.get("KANNEL_BEARERBOX") or shutil.which("bearerbox") or "/usr/sbin/bearerbox"
SMSBOX = os.environ.get("KANNEL_SMSBOX") or shutil.which("smsbox") or "/usr/sbin/smsbox"
FAKESMSC = os.environ.get("KANNEL_FAKESMSC") or shutil.which("fakesmsc") or "/usr/lib/kannel/test/fakesmsc"

USER = "wengang"
PASSWORD = "kannel-test-pw"  # noqa: S105 (a throwaway Kannel on localhost)
FROM = "12333"

_GOT = re.compile(r"Got message (\d+): <(.*)>\s*$")


def missing_binaries() -> list[str]:
    return [p for p in (BEARERBOX, SMSBOX, FAKESMSC) if not os.access(p, os.X_OK)]


def require_kannel() -> None:
    """Skip (saying why) when Kannel is not installed."""
    missing = missing_binaries()
    if missing:
        reason = (
            f"Kannel not installed ({', '.join(missing)} missing): "
            "`make gateway-deps` (apt-get install kannel kannel-extras) runs these tests against it"
        )
        print(reason)
        pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class Received:
    """One message as the operator got it (parts joined)."""

    sender: str
    receiver: str
    text: str
    parts: int = 1


def _decode(data: str, coding: str) -> str:
    raw = unquote_to_bytes(data)
    if coding in ("ucs-2", "ucs2", "data") and len(raw) % 2 == 0:
        try:
            return raw.decode("utf-16-be")
        except UnicodeDecodeError:
            pass
    return raw.decode("utf-8", errors="replace")


def parse_fakesmsc(lines: list[str]) -> list[Received]:
    """Messages in fakesmsc output order; parts of a concatenated message are joined when all are in."""
    out: list[Received] = []
    pending: dict[tuple[str, str, int], dict[int, str]] = {}
    for line in lines:
        m = _GOT.search(line)
        if m is None:
            continue
        tokens = m.group(2).split(" ")
        sender, receiver, kind = tokens[0], tokens[1], tokens[2]
        if kind == "udh":
            udh = unquote_to_bytes(tokens[3])
            text = _decode(tokens[5] if len(tokens) > 5 else "", tokens[4])
            # IEI 0 (8-bit reference): length, 0x00, 3, ref, total, seq
            if len(udh) >= 6 and udh[1] == 0:
                ref, total, seq = udh[3], udh[4], udh[5]
                key = (sender, receiver, ref)
                pending.setdefault(key, {})[seq] = text
                if len(pending[key]) == total:
                    parts = pending.pop(key)
                    out.append(Received(sender, receiver, "".join(parts[i] for i in sorted(parts)), total))
                continue
            out.append(Received(sender, receiver, text))
        else:
            out.append(Received(sender, receiver, _decode(" ".join(tokens[3:]), kind)))
    return out


class KannelGateway:
    """bearerbox + smsbox + fakesmsc in ``workdir``; ``callback`` is this site's base URL for replies."""

    def __init__(
        self,
        workdir: Path,
        *,
        callback: str = "",
        mo_token: str = "",
        throughput: int = 0,
        max_pending: int = 8,
        nice_operator: bool = False,
    ) -> None:
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.admin_port, self.box_port, self.smsc_port, self.sendsms_port = (free_port() for _ in range(4))
        self.callback = callback.rstrip("/")
        self.mo_token = mo_token
        self.throughput = throughput
        # Callbacks (reports, replies) in flight at once: a test's live server opens a connection per request.
        self.max_pending = max_pending
        # The benchmark counts messages per second where fakesmsc reads them: run the operator (and Kannel)
        # ahead of the relay so a busy CPU does not bunch its reads into false peaks.
        self.nice_operator = nice_operator
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.fakesmsc_logs: list[Path] = []
        self.conf = self.dir / "kannel.conf"

    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms"

    def settings(self) -> dict[str, str | int]:
        """The ``WENGANG_OUTREACH["kannel"]`` entries that point at this gateway."""
        return {"url": self.sendsms_url, "user": USER, "password": PASSWORD, "from": FROM, "smsc": ""}

    def write_conf(self) -> None:
        mo_url = (
            f"{self.callback}/outreach/gateway/kannel/mo/?k={self.mo_token}"
            "&from=%p&to=%P&text=%a&id=%I&charset=%C&coding=%c"
        )
        throughput = f"throughput = {self.throughput}\n" if self.throughput else ""
        self.conf.write_text(
            f"""group = core
admin-port = {self.admin_port}
admin-password = adm
smsbox-port = {self.box_port}
log-level = 2
log-file = "{self.dir}/bearerbox.log"
dlr-storage = internal
box-allow-ip = "127.0.0.1"

group = smsc
smsc = fake
smsc-id = fake
port = {self.smsc_port}
connect-allow-ip = "127.0.0.1"
{throughput}
group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {self.box_port}
sendsms-port = {self.sendsms_port}
log-level = 2
log-file = "{self.dir}/smsbox.log"
mo-recode = true
http-request-retry = 5
http-queue-delay = 1
max-pending-requests = {self.max_pending}

group = sendsms-user
username = {USER}
password = {PASSWORD}
max-messages = 10
concatenation = true

group = sms-service
keyword = default
catch-all = true
max-messages = 0
omit-empty = true
get-url = "{mo_url}"
"""
        )

    def _spawn(self, name: str, argv: list[str], log: Path) -> None:
        if self.nice_operator and os.geteuid() == 0:
            argv = ["nice", "-n", "-10" if name == "fakesmsc" else "-5", *argv]
        with log.open("ab") as out:
            self.procs[name] = subprocess.Popen(  # noqa: S603 (fixed programs, our arguments)
                argv, stdout=out, stderr=subprocess.STDOUT, cwd=self.dir
            )

    def start(self) -> KannelGateway:
        self.write_conf()
        self._spawn("bearerbox", [BEARERBOX, "-v", "2", str(self.conf)], self.dir / "bearerbox.out")
        self._wait_port(self.box_port, "bearerbox")
        self.start_fakesmsc()
        self.start_smsbox()
        self.wait_ready()
        return self

    def start_smsbox(self) -> None:
        self._spawn("smsbox", [SMSBOX, "-v", "2", str(self.conf)], self.dir / "smsbox.out")
        self._wait_port(self.sendsms_port, "smsbox")

    def stop_smsbox(self) -> None:
        self._stop("smsbox")

    def start_fakesmsc(self, messages: list[str] | None = None) -> None:
        log = self.dir / f"fakesmsc-{len(self.fakesmsc_logs)}.out"
        self.fakesmsc_logs.append(log)
        argv = [FAKESMSC, "-H", "127.0.0.1", "-r", str(self.smsc_port), "-i", "0.01", "-m"]
        argv += [str(len(messages)), *messages] if messages else ["0", "0 0 text unused"]
        self._spawn("fakesmsc", argv, log)

    def mo(self, sender: str, text: str) -> None:
        """A reply from ``sender`` to our number, as the operator would hand it to Kannel."""
        if text.isascii():
            message = f"{sender} {FROM} text {text}"
        else:
            message = f"{sender} {FROM} ucs2 {quote(text.encode('utf-16-be'))}"
        self._stop("fakesmsc")
        self.start_fakesmsc([message])
        log = self.fakesmsc_logs[-1]
        deadline = time.monotonic() + 15
        while "sent message 1" not in log.read_text(errors="replace") and time.monotonic() < deadline:
            self._check_alive()
            time.sleep(0.02)
        self.wait_ready()

    def status(self) -> str:
        url = f"http://127.0.0.1:{self.admin_port}/status.txt?password=adm"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (localhost)
                text: str = response.read().decode("utf-8", "replace")
                return text
        except OSError:
            return ""

    def wait_ready(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status()
            if "(online" in status and "smsbox" in status.split("Box connections")[-1]:
                return
            self._check_alive()
            time.sleep(0.05)
        raise RuntimeError(f"Kannel did not come up; status: {self.status()!r}; logs in {self.dir}")

    def _check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}; logs in {self.dir}")

    def _wait_port(self, port: int, name: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return
            self._check_alive()
            time.sleep(0.02)
        raise RuntimeError(f"{name} did not listen on {port}; logs in {self.dir}")

    def lines(self) -> list[str]:
        out: list[str] = []
        for log in self.fakesmsc_logs:
            if log.exists():
                out += log.read_text(errors="replace").splitlines()
        return out

    def received(self) -> list[Received]:
        return parse_fakesmsc(self.lines())

    def wait_received(self, count: int, timeout: float = 15.0) -> list[Received]:
        """What fakesmsc got, once at least ``count`` messages are in (or the timeout passed)."""
        deadline = time.monotonic() + timeout
        got = self.received()
        while len(got) < count and time.monotonic() < deadline:
            time.sleep(0.05)
            got = self.received()
        return got

    def _stop(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop(self) -> None:
        for name in ("smsbox", "fakesmsc", "bearerbox"):
            self._stop(name)


def kannel_gateway(
    tmp_path: Path, live_url: str, *, mo_token: str = "", throughput: int = 0
) -> KannelGateway:
    """A started gateway whose replies go to ``live_url`` (a ``live_server``'s address)."""
    require_kannel()
    from django.db import connections

    # The live server's request threads would otherwise each keep a database connection open.
    connections.settings["default"]["CONN_MAX_AGE"] = 0
    callback = live_url.replace("localhost", "127.0.0.1")
    return KannelGateway(
        tmp_path / "kannel", callback=callback, mo_token=mo_token, throughput=throughput
    ).start()


# --- many recipients, cheaply (the crash test and the campaign benchmark) --------------------------------


def bulk_phone(seq: int) -> str:
    return f"137{seq:08d}"


def bulk_people(
    count: int, *, start: int = 0, opted_out: frozenset[int] = frozenset(), batch: int = 5000
) -> list[int]:
    """``count`` people with phones, consenting to SMS except the numbers in ``opted_out``; their ids."""
    import datetime as dt

    from wengang.core import crypto
    from wengang.registry.models import Person

    ids: list[int] = []
    rows: list[Person] = []

    def flush() -> None:
        ids.extend(p.pk for p in Person.objects.bulk_create(rows))
        rows.clear()

    for seq in range(start, start + count):
        phone = bulk_phone(seq)
        rows.append(
            Person(
                id_hash=f"bulk-{seq}",
                id_encrypted=crypto.encrypt(f"bulk-{seq}"),
                id_masked="4103**********0000",
                name=f"群发{seq}",
                gender="M",
                birth_date=dt.date(1985, 1, 1),
                village_code="410329001001",
                phone_hash=crypto.blind_index(phone),
                phone_encrypted=crypto.encrypt(phone),
                phone_masked=phone[:3] + "****" + phone[-4:],
                consent_sms=seq not in opted_out,
            )
        )
        if len(rows) >= batch:
            flush()
    if rows:
        flush()
    return ids


def relay_env(
    gateway: KannelGateway, *, rate: int, lease_s: float = 60, grace_s: float = 600, dlr_mask: int = 31
) -> dict[str, str]:
    """The environment for a relay subprocess on this test's database, sending through ``gateway``."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{db['NAME']}"
    else:
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DATABASE_URL=url,
        WENGANG_SMS_BACKEND="kannel",
        WENGANG_KANNEL_URL=gateway.sendsms_url,
        WENGANG_KANNEL_USER=USER,
        WENGANG_KANNEL_PASSWORD=PASSWORD,
        WENGANG_KANNEL_FROM=FROM,
        WENGANG_KANNEL_CALLBACK_URL=gateway.callback,
        WENGANG_KANNEL_WORKERS="8",
        WENGANG_KANNEL_DLR_MASK=str(dlr_mask),
        WENGANG_SMS_RATE=str(rate),
        WENGANG_OUTREACH_LEASE_S=str(lease_s),
        WENGANG_RECEIPT_GRACE_S=str(grace_s),
    )
    return env
