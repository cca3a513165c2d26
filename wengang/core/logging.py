"""Logging filter that keeps full ID numbers and phone numbers out of every log line."""

from __future__ import annotations

import logging

from .masking import redact_text


class RedactPersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_text(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True
