"""Merchant normalization: the bank's raw text into a clean payee.

``SQ *BLUE BOTTLE COFFEE 09/28`` -> ``Blue Bottle Coffee``;
``ORIG CO NAME:ACME CORP PAYROLL ORIG ID:98765 ... SEC:PPD`` -> ``Acme Corp Payroll``;
``STARBUCKS STORE 12345 SEATTLE WA`` -> ``Starbucks``. Steps, in order: ACH boilerplate
(the originator's name), card-terminal prefixes (``POS DEBIT``, ``PURCHASE AUTHORIZED ON
09/15``), payment-processor prefixes (``SQ *``, ``TST*``, ``PAYPAL *``...), store numbers
with the city and state after them, card-date suffixes (``09/28``, ``0928``), reference
numbers, known abbreviations; then title case when the bank shouted. The raw text is always
kept next to the payee; this is a heuristic and never the only record."""

from __future__ import annotations

import re

MAX_PAYEE = 200

_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|"
    "NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY"
)
_ACH_NAME = re.compile(
    r"ORIG CO NAME:\s*(.+?)\s*(?:ORIG ID:|DESC DATE:|CO ENTRY DESCR:|SEC:|TRACE#:|IND ID:|$)",
    re.IGNORECASE,
)
_ACH_TAIL = re.compile(r"\s+(?:PPD|WEB|CCD|TEL|ARC|BOC|POP)\s+ID:\s*\S+.*$", re.IGNORECASE)
_TERMINAL = re.compile(
    r"^(?:(?:RECURRING\s+)?(?:PAYMENT|PURCHASE)\s+AUTHORIZED\s+ON\s+\d{1,2}/\d{1,2}\s+"
    r"|CHECKCARD\s+\d{4}\s+|(?:POS|ACH|ATM)\s+(?:DEBIT|CREDIT|PURCHASE|WITHDRAWAL)\s+"
    r"|DEBIT\s+CARD\s+(?:PURCHASE|PAYMENT)\s*-?\s*(?:VISA\s+)?|VISA\s+PURCHASE\s+"
    r"|PREAUTHORIZED\s+(?:DEBIT|CREDIT)\s+|ONLINE\s+PAYMENT\s+(?:TO\s+)?"
    r"|PURCHASE\s+|POS\s+)",
    re.IGNORECASE,
)
_PROCESSOR = re.compile(
    r"^(?:SQ\s?\*|SQU\*|TST\s?\*\s?|PAYPAL\s?\*|PP\s?\*|SP\s?\*|SP\s+|PY\s?\*|IC\*|CKE\*|"
    r"BT\*|WPY\*|EB\s?\*|FS\s?\*|PAR\*|GOOGLE\s?\*|APL\*\s?|DD\s?\*|SUMUP\s?\*|ZTL\*)\s*",
    re.IGNORECASE,
)
_STORE_AND_PLACE = re.compile(
    rf"\s+(?:(?:STORE|STR|#)\s*#?\s*\d+|\d{{3,}}|\d{{3}}-\d{{3}}-\d{{4}})"
    rf"(?:\s+[A-Z][A-Z.'-]*){{0,2}}\s+(?:{_STATES})$",
    re.IGNORECASE,
)
_CARD_DATE = re.compile(
    r"\s+(?:ON\s+|DATE\s+)?(?:\d{1,2}/\d{1,2}(?:/\d{2,4})?|(?:0[1-9]|1[0-2])(?:[0-2]\d|3[01]))$",
    re.IGNORECASE,
)
_STORE_NUMBER = re.compile(r"\s+(?:(?:STORE|STR|NO\.?)\s*)?#?\s*\d{2,}$", re.IGNORECASE)
_STORE_WORD = re.compile(r"\s+(?:STORE|STR|#)$", re.IGNORECASE)
_CARD_DIGITS = re.compile(r"\s+(?:X{2,}\d{4}|CARD\s+\d{4}|\*{2,}\d{4})$", re.IGNORECASE)
_AMAZON = re.compile(r"^(?:AMZN\s+MKTP\s+US|AMAZON\s+MKTPL|AMZN\.COM/BILL|AMAZON\.COM)\b.*$", re.I)
_ALIASES = {
    "WHOLEFDS MKT": "WHOLE FOODS MARKET",
    "WHOLEFDS": "WHOLE FOODS",
    "WM SUPERCENTER": "WALMART",
    "WAL-MART": "WALMART",
    "COSTCO WHSE": "COSTCO",
    "TRADER JOE S": "TRADER JOE'S",
}


_CHECK = re.compile(r"^CHECK\s*#?\s*(\d+)$", re.IGNORECASE)
_WEB_SUFFIX = re.compile(r"\s+\S+\.(?:COM|NET|ORG|CO|IO)$", re.IGNORECASE)


_WORD = re.compile(r"(?<![.\w'])[A-Za-z]+(?:'[A-Za-z]+)?")


def _title(text: str) -> str:
    """``DOORDASH*THAI BASIL`` -> ``Doordash*Thai Basil``, ``NETFLIX.COM`` -> ``Netflix.com``,
    ``TRADER JOE'S`` -> ``Trader Joe's``; text already in mixed case is left alone."""
    if any(c.islower() for c in text):
        return text
    return _WORD.sub(lambda m: m[0].capitalize(), text.lower())


def _strip_repeatedly(text: str, *patterns: re.Pattern[str]) -> str:
    changed = True
    while changed:
        changed = False
        for pattern in patterns:
            stripped = pattern.sub("", text).strip()
            if stripped and stripped != text:
                text, changed = stripped, True
    return text


def clean_payee(description: str) -> str:
    text = " ".join(description.split())
    if not text:
        return ""
    check = _CHECK.match(text)
    if check:
        return f"Check {check[1]}"
    ach = _ACH_NAME.search(text)
    if ach and ach[1].strip():
        text = ach[1].strip()
    text = _ACH_TAIL.sub("", text).strip() or text
    text = _strip_repeatedly(text, _TERMINAL, _PROCESSOR)
    if _AMAZON.match(text):
        text = "AMAZON"
    text = _STORE_AND_PLACE.sub("", text).strip() or text
    text = _strip_repeatedly(
        text, _CARD_DATE, _CARD_DIGITS, _STORE_NUMBER, _STORE_WORD, _WEB_SUFFIX
    )
    text = text.strip(" -*#/")
    upper = text.upper()
    for raw, clean in _ALIASES.items():
        if upper == raw or upper.startswith(raw + " "):
            text = clean + text[len(raw) :]
            break
    return _title(text)[:MAX_PAYEE] or _title(description.strip())[:MAX_PAYEE]
