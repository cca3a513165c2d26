from __future__ import annotations

import logging

from wengang.core import crypto
from wengang.core.logging import RedactPersonalDataFilter
from wengang.core.masking import mask_id_number, mask_phone, redact_text
from wengang.core.text import normalize_code, normalize_text


def test_mask_id_number():
    assert mask_id_number("410302199001011234") == "410302********1234"
    assert mask_id_number("41030219900101123X") == "410302********123X"
    assert mask_id_number("") == ""


def test_mask_phone():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("+86 138-1234-1234") == "138****1234"


def test_redact_text_finds_ids_and_phones_in_free_text():
    text = "张三 410302199001011234，电话 138 1234 1234；+8613912345678"
    assert redact_text(text) == "张三 410302********1234，电话 138****1234；139****5678"
    assert redact_text("订单号 20261128123456789012") == "订单号 20261128123456789012"


def test_log_lines_never_carry_full_numbers(caplog):
    logger = logging.getLogger("wengang.test")
    logger.addFilter(RedactPersonalDataFilter())
    with caplog.at_level(logging.INFO, logger="wengang.test"):
        logger.info("import row %s phone %s", "410302199001011234", "13812341234")
    assert caplog.records[0].getMessage() == "import row 410302********1234 phone 138****1234"


def test_normalize():
    assert normalize_text("  张三\u3000 ＡＢＣ１２３ ") == "张三 ABC123"
    assert normalize_code(" 41030219900101123x ") == "41030219900101123X"


def test_field_encryption_round_trip_and_blind_index(settings):
    token = crypto.encrypt("13812341234")
    assert "13812341234" not in token
    assert crypto.decrypt(token) == "13812341234"
    assert crypto.encrypt("13812341234") != token  # random nonce
    assert crypto.blind_index("13812341234") == crypto.blind_index("13812341234")
    assert len(crypto.blind_index("13812341234")) == 64
