"""SMS straight to an operator's SMSC over SMPP 3.4 (``smpplib``), and the delivery receipts it sends back.

Settings: ``WENGANG_OUTREACH["smpp"]`` = host, port, system_id, password, source (the sender number), and
optionally ``timeout_s`` (socket timeout, 10) and ``linger_s`` (how long ``close()`` waits for the receipts
of the messages it sent before unbinding, 0: later receipts reach ``outreach_smpp_listener``).

Each text goes as UCS-2 (``data_coding`` 8); a text longer than one SMS is split into concatenated parts
(UDH, ``smpplib.gsm.make_parts``), each asking for a delivery receipt. The SMSC's ``message_id`` of the
first part is the message's ``gateway_ref``; its receipt decides the outcome (a failed later part fails
the message too while this backend is bound).

A receipt names the SMSC's id, not ours, so a relay that dies between the SMSC's answer and recording it
cannot match the receipt later: ``confirms_by_receipt`` is False and such a batch is resent after the lease.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import Any

import smpplib.client
import smpplib.consts as c
import smpplib.exceptions
import smpplib.gsm
import smpplib.smpp

from wengang.core.masking import mask_phone

from ..conf import outreach_conf
from . import Backend, Outgoing, PermanentError, Sent, TransientError

logger = logging.getLogger(__name__)

# submit_sm_resp statuses worth retrying later; any other error status is final for that message.
TRANSIENT_STATUSES = frozenset(
    {
        c.SMPP_ESME_RTHROTTLED,
        c.SMPP_ESME_RMSGQFUL,
        c.SMPP_ESME_RSYSERR,
        c.SMPP_ESME_RSUBMITFAIL,
        c.SMPP_ESME_RX_T_APPN,
        c.SMPP_ESME_RUNKNOWNERR,
        c.SMPP_ESME_RINVBNDSTS,
    }
)
# Receipt ``stat:`` words (SMPP 3.4 Appendix B) → receipts.receipt_record statuses.
RECEIPT_STATUS = {
    "DELIVRD": "delivered",
    "ACCEPTD": "submitted",
    "ENROUTE": "submitted",
    "UNDELIV": "failed",
    "EXPIRED": "failed",
    "DELETED": "failed",
    "REJECTD": "failed",
    "UNKNOWN": "failed",
}
# message_state TLV values (used when a receipt carries no text) → the same statuses.
MESSAGE_STATE = {
    1: "submitted",
    2: "delivered",
    3: "failed",
    4: "failed",
    5: "failed",
    7: "failed",
    8: "failed",
}
_RECEIPT_RE = re.compile(r"id:(?P<id>\S+).*?stat:(?P<stat>[A-Z]+)(?:.*?err:(?P<err>\S+))?", re.I | re.S)
_ESM_RECEIPT_TYPES = (0x04, 0x08, 0x20)  # SMSC receipt, SME ack, intermediate notification
_TEMPORARY_APP_ERROR = c.SMPP_ESME_RX_T_APPN


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return "" if value is None else str(value)


def status_name(status: int) -> str:
    return str(c.DESCRIPTIONS.get(status, "unknown")) + f" (0x{status:08X})"


def decode_short_message(pdu: Any) -> str:
    """The text of a deliver_sm, its UDH (concatenation header) stripped."""
    raw: bytes = pdu.short_message or getattr(pdu, "message_payload", None) or b""
    if isinstance(raw, str):
        raw = raw.encode("latin-1")
    if (pdu.esm_class or 0) & c.SMPP_GSMFEAT_UDHI and raw:
        raw = raw[1 + raw[0] :]
    coding = pdu.data_coding or 0
    if coding == c.SMPP_ENCODING_ISO10646:
        return raw.decode("utf-16-be", errors="replace")
    if coding == c.SMPP_ENCODING_ISO88591:
        return raw.decode("latin-1")
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace")


def is_receipt(pdu: Any) -> bool:
    return (pdu.esm_class or 0) & 0x3C in _ESM_RECEIPT_TYPES


def parse_receipt(pdu: Any) -> tuple[str, str, str] | None:
    """(SMSC message id, receipt status, detail) of a delivery receipt, or None if it cannot be read."""
    text = decode_short_message(pdu)
    match = _RECEIPT_RE.search(text)
    ref = _text(getattr(pdu, "receipted_message_id", None)) or (match["id"] if match else "")
    status = ""
    if match:
        status = RECEIPT_STATUS.get(match["stat"].upper(), "")
    if not status:
        status = MESSAGE_STATE.get(getattr(pdu, "message_state", None) or 0, "")
    if not ref or not status:
        return None
    stat = match["stat"].upper() if match else f"state {getattr(pdu, 'message_state', '')}"
    err = match["err"] if match and match["err"] else ""
    detail = f"SMPP {stat}" + (f" err:{err}" if err else "")
    return ref, status, detail


def apply_receipt(ref: str, status: str, detail: str, message_id: int | None = None) -> None:
    from ..receipts import receipt_record

    receipt_record(channel="sms", status=status, gateway_ref=ref, message_id=message_id, detail=detail)


def apply_mo(pdu: Any) -> None:
    from ..inbound import inbound_handle

    inbound_handle(channel="sms", sender=_text(pdu.source_addr), body=decode_short_message(pdu))


class _Session:
    """One bound SMPP session: sends submit_sm and answers what the SMSC sends meanwhile."""

    def __init__(self, conf: dict[str, Any], *, bind: str, on_deliver: Any) -> None:
        self.conf = conf
        self.on_deliver = on_deliver
        self.client = smpplib.client.Client(
            conf.get("host", "127.0.0.1"),
            int(conf.get("port", 2775)),
            timeout=float(conf.get("timeout_s", 10)),
            allow_unknown_opt_params=True,
        )
        try:
            self.client.connect()
            getattr(self.client, f"bind_{bind}")(
                system_id=conf.get("system_id", ""), password=conf.get("password", "")
            )
        except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError) as exc:
            self.close()
            raise TransientError(f"SMPP bind failed: {exc}") from exc

    def read(self) -> Any:
        """Read one PDU; answer deliver_sm and enquire_link; return anything else."""
        pdu = self.client.read_pdu()
        if pdu is None:
            return None
        if pdu.command == "deliver_sm":
            status = self.on_deliver(pdu)
            resp = smpplib.smpp.make_pdu("deliver_sm_resp", client=self.client, status=status)
            resp.sequence = pdu.sequence
            self.client.send_pdu(resp)
            return None
        if pdu.command == "enquire_link":
            resp = smpplib.smpp.make_pdu("enquire_link_resp", client=self.client)
            resp.sequence = pdu.sequence
            self.client.send_pdu(resp)
            return None
        if pdu.command == "unbind":
            resp = smpplib.smpp.make_pdu("unbind_resp", client=self.client)
            resp.sequence = pdu.sequence
            self.client.send_pdu(resp)
            raise smpplib.exceptions.ConnectionError("the SMSC unbound")
        return pdu

    def submit(self, **kwargs: Any) -> Any:
        """Send one submit_sm and wait for its answer (receipts arriving meanwhile are handled)."""
        sent = self.client.send_message(**kwargs)
        while True:
            pdu = self.read()
            if pdu is None:
                continue
            if pdu.command in ("submit_sm_resp", "generic_nack") and pdu.sequence == sent.sequence:
                return pdu

    def poll(self, seconds: float) -> None:
        """Answer what the SMSC sends for up to ``seconds``."""
        deadline = time.monotonic() + seconds
        sock = self.client._socket
        while sock is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            sock.settimeout(left)
            try:
                self.read()
            except TimeoutError:
                return
            finally:
                if self.client._socket is not None:
                    self.client._socket.settimeout(float(self.conf.get("timeout_s", 10)))

    def close(self) -> None:
        client = self.client
        if client._socket is None:
            return
        try:
            if client.state in (
                c.SMPP_CLIENT_STATE_BOUND_TX,
                c.SMPP_CLIENT_STATE_BOUND_RX,
                c.SMPP_CLIENT_STATE_BOUND_TRX,
            ):
                client.send_pdu(smpplib.smpp.make_pdu("unbind", client=client))
                client._socket.settimeout(1.0)
                for _ in range(20):  # the unbind_resp may come after receipts in flight
                    pdu = self.read()
                    if pdu is not None and pdu.command == "unbind_resp":
                        break
        except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError) as exc:
            logger.info("SMPP unbind: %s", exc)
        finally:
            client.disconnect()


class SmppBackend(Backend):
    """Submits over one transceiver bind kept for the backend's life (one relay pass or drain)."""

    channel = "sms"
    confirms_by_receipt = False

    def __init__(self) -> None:
        self.conf: dict[str, Any] = dict(outreach_conf().get("smpp", {}))
        self.session: _Session | None = None
        self.known: dict[str, int] = {}  # SMSC id of each part we sent → our message id
        self.first_part: set[str] = set()
        self.pending: list[tuple[str, str, str]] = []  # receipts for messages the relay is still recording
        self.finished: set[str] = set()  # parts with a final receipt
        self.sending = False

    # Receipts -------------------------------------------------------------------------------------------

    def _on_deliver(self, pdu: Any) -> int:
        try:
            if not is_receipt(pdu):
                apply_mo(pdu)
                return int(c.SMPP_ESME_ROK)
            parsed = parse_receipt(pdu)
            if parsed is None:
                logger.warning("SMPP receipt not understood: %r", decode_short_message(pdu)[:100])
                return int(c.SMPP_ESME_ROK)
            ref, status, detail = parsed
            if status != "submitted":
                self.finished.add(ref)
            if self.sending or ref in self.known:
                # The relay may not have recorded this message yet (an SMSC can even report a part before
                # answering its submit_sm): applied once the relay has, by ``flush``.
                self.pending.append((ref, status, detail))
                if not self.sending:
                    self.flush()
            else:
                apply_receipt(ref, status, detail)
        except Exception:
            logger.exception("SMPP deliver_sm not applied; the SMSC will send it again")
            return int(_TEMPORARY_APP_ERROR)
        return int(c.SMPP_ESME_ROK)

    def flush(self) -> None:
        """Apply the receipts that arrived while the relay had not yet recorded the messages' states."""
        pending, self.pending = self.pending, []
        for ref, status, detail in pending:
            if ref in self.known and ref not in self.first_part and status != "failed":
                continue  # a later part delivered: the first part's receipt decides
            apply_receipt(ref, status, detail, message_id=self.known.get(ref))

    # Sending --------------------------------------------------------------------------------------------

    def _session(self) -> _Session:
        if self.session is None:
            self.session = _Session(self.conf, bind="transceiver", on_deliver=self._on_deliver)
        return self.session

    def _drop_session(self) -> None:
        if self.session is not None:
            try:
                self.session.client.disconnect()
            except OSError:
                pass
        self.session = None

    def send_many(self, items: list[Outgoing]) -> list[Any]:
        self.flush()
        self.sending = True
        try:
            return super().send_many(items)
        finally:
            self.sending = False

    def send(self, item: Outgoing) -> Sent:
        parts, coding, esm_class = smpplib.gsm.make_parts(item.body, encoding=c.SMPP_ENCODING_ISO10646)
        source = str(self.conf.get("source", ""))
        refs: list[str] = []
        try:
            session = self._session()
            for part in parts:
                resp = session.submit(
                    source_addr_ton=c.SMPP_TON_UNK if source.isdigit() else c.SMPP_TON_ALNUM,
                    source_addr_npi=c.SMPP_NPI_UNK,
                    source_addr=source,
                    dest_addr_ton=c.SMPP_TON_INTL if item.address.startswith("+") else c.SMPP_TON_UNK,
                    dest_addr_npi=c.SMPP_NPI_ISDN,
                    destination_addr=item.address.lstrip("+"),
                    short_message=part,
                    data_coding=coding,
                    esm_class=esm_class,
                    registered_delivery=1,
                )
                if resp.status != c.SMPP_ESME_ROK:
                    reason = f"SMPP submit_sm: {status_name(resp.status)}"
                    if refs:
                        # Some parts went out; resending the whole text is the lesser harm.
                        reason += f" after {len(refs)} of {len(parts)} parts"
                    if resp.status in TRANSIENT_STATUSES:
                        raise TransientError(
                            reason, retry_after=5.0 if resp.status == c.SMPP_ESME_RTHROTTLED else None
                        )
                    raise PermanentError(reason)
                ref = _text(resp.message_id)
                if not refs:
                    self.first_part.add(ref)
                refs.append(ref)
                self.known[ref] = item.message_id
        except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError) as exc:
            self._drop_session()
            raise TransientError(f"SMPP connection: {exc}") from exc
        logger.info("SMPP to %s: %d part(s), ref %s", mask_phone(item.address), len(parts), refs[0])
        return Sent(gateway_ref=refs[0])

    def close(self) -> None:
        try:
            linger = float(self.conf.get("linger_s", 0))
            if self.session is not None and linger > 0 and self.first_part - self.finished:
                deadline = time.monotonic() + linger
                while (
                    self.first_part - self.finished
                    and time.monotonic() < deadline
                    and self.session is not None
                ):
                    self.session.poll(min(0.2, deadline - time.monotonic()))
            if self.session is not None:
                self.session.poll(0.01)
                self.session.close()
        except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError) as exc:
            logger.info("SMPP close: %s", exc)
        finally:
            self.session = None
            self.flush()


def smpp_listen(
    *, bind: str = "receiver", seconds: float | None = None, stop: threading.Event | None = None
) -> int:
    """Stay bound and apply receipts and replies until ``seconds`` pass or ``stop`` is set; rebind after
    a lost connection (backing off up to a minute). Answers how many deliver_sm it handled.

    A transceiver bind by default: every SMSC routes receipts and replies to it, and some (the ``smpp34``
    test server among them) refuse a receiver's deliver_sm_resp."""
    conf = dict(outreach_conf().get("smpp", {}))
    deadline = time.monotonic() + seconds if seconds is not None else None
    handled = 0
    delay = 1.0

    def on_deliver(pdu: Any) -> int:
        nonlocal handled
        handled += 1
        try:
            if is_receipt(pdu):
                parsed = parse_receipt(pdu)
                if parsed is None:
                    logger.warning("SMPP receipt not understood: %r", decode_short_message(pdu)[:100])
                else:
                    apply_receipt(*parsed)
            else:
                apply_mo(pdu)
        except Exception:
            logger.exception("SMPP deliver_sm not applied; the SMSC will send it again")
            return int(_TEMPORARY_APP_ERROR)
        return int(c.SMPP_ESME_ROK)

    def done() -> bool:
        return (stop is not None and stop.is_set()) or (deadline is not None and time.monotonic() >= deadline)

    while not done():
        try:
            session = _Session(conf, bind=bind, on_deliver=on_deliver)
        except TransientError as exc:
            logger.warning("%s; retrying in %.0f s", exc, delay)
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())) if deadline else delay)
            delay = min(60.0, delay * 2)
            continue
        delay = 1.0
        last_ping = time.monotonic()
        try:
            while not done():
                session.poll(0.2 if deadline is None else max(0.0, min(0.2, deadline - time.monotonic())))
                if time.monotonic() - last_ping > 30:
                    session.client.send_pdu(smpplib.smpp.make_pdu("enquire_link", client=session.client))
                    last_ping = time.monotonic()
        except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError) as exc:
            logger.warning("SMPP listener lost the connection: %s", exc)
            session.client.disconnect()
            continue
        session.close()
    return handled
