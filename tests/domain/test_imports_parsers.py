"""Golden tests of the statement parsers, one sample file per format (tests/fixtures/bank/),
with the mess real files have: BOM, CRLF, padded headers, trailing commas, quoted commas and
doubled quotes, zero rows, pending rows, newest-first order, running and ending balances,
bad rows among good ones, cp1252 and UTF-8, entities and CDATA."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from fiscus.domain.errors import ValidationFailed
from fiscus.domain.imports import (
    AmountSign,
    CsvMapping,
    ParsedStatement,
    StatementBalance,
    StatementFormat,
    detect_format,
    parse_statement,
)
from fiscus.domain.imports.model import RowError
from fiscus.domain.imports.values import parse_amount

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bank"
GENERIC = CsvMapping(
    date_column="Buchungstag",
    posted_date_column="Valuta",
    payee_column="Empfänger",
    description_column="Verwendungszweck",
    debit_column="Soll",
    credit_column="Haben",
    reference_column="Referenz",
    date_format="%d.%m.%Y",
    decimal_separator=",",
    delimiter=";",
    skip_rows=2,
)


def parsed(name: str, **kwargs) -> ParsedStatement:
    return parse_statement((FIXTURES / name).read_bytes(), **kwargs)


def lines(statement: ParsedStatement) -> list[tuple]:
    return [
        (line.line, line.date.isoformat(), str(line.amount), line.description)
        for line in statement.lines
    ]


def problems(statement: ParsedStatement) -> list[tuple]:
    return [(p.line, p.kind.value, p.code, p.field) for p in statement.problems]


def test_chase_checking_bom_crlf_trailing_commas_pending_and_running_balances():
    statement = parsed("chase_checking.csv")
    assert statement.format is StatementFormat.CHASE_CHECKING
    assert lines(statement) == [
        (2, "2026-09-30", "-5.75", "STARBUCKS STORE 12345 SEATTLE WA"),
        (3, "2026-09-29", "-4.50", "SQ *BLUE BOTTLE COFFEE 09/28"),
        (4, "2026-09-29", "-4.50", "SQ *BLUE BOTTLE COFFEE 09/28"),
        (
            5,
            "2026-09-28",
            "2000.00",
            "ORIG CO NAME:ACME CORP PAYROLL ORIG ID:9876543210 DESC DATE:260928 "
            "CO ENTRY DESCR:PAYROLL SEC:PPD",
        ),
        (6, "2026-09-27", "-14.99", 'AMAZON.COM, INC. "PRIME" MEMBERSHIP'),
        (8, "2026-09-25", "-100.00", "CHECK 1001"),
        (9, "2026-09-24", "-34.56", "TST* PIZZERIA NAPOLI 0923"),
    ]
    assert [line.pending for line in statement.lines] == [True] + [False] * 6
    assert statement.lines[5].check_number == "1001"
    assert problems(statement) == [(7, "skipped", "ZERO_AMOUNT", None)]
    assert statement.rows == 8
    assert statement.newest_first
    # The newest posted line's balance; the pending line has none yet.
    assert statement.ending_balance == StatementBalance(Decimal("2311.14"), date(2026, 9, 29))


def test_a_running_balance_that_does_not_follow_is_a_warning_on_its_line():
    text = (FIXTURES / "chase_checking.csv").read_bytes().replace(b"2320.14", b"2320.41")
    statement = parse_statement(text)
    assert len(statement.lines) == 7  # still imported
    # Line 5 does not follow from line 6 (the file is newest first), and line 4, the next
    # day's, no longer follows from line 5's wrong balance.
    assert problems(statement) == [
        (4, "warning", "BALANCE_MISMATCH", "balance"),
        (5, "warning", "BALANCE_MISMATCH", "balance"),
        (7, "skipped", "ZERO_AMOUNT", None),
    ]
    assert "expected 2320.14" in statement.warnings[1].message


def test_chase_card_keeps_the_good_rows_and_reports_the_bad_ones_with_line_and_reason():
    statement = parsed("chase_card.csv")
    assert statement.format is StatementFormat.CHASE_CARD
    assert lines(statement) == [
        (2, "2026-09-01", "-45.20", "WHOLEFDS MKT #10234"),
        (3, "2026-09-03", "500.00", "Payment Thank You-Mobile"),
        (4, "2026-09-04", "-15.49", "NETFLIX.COM"),
        (7, "2026-09-08", "12.00", "WHOLEFDS MKT #10234"),
    ]
    assert statement.lines[0].posted_date == date(2026, 9, 2)
    assert statement.lines[0].bank_category == "Groceries"
    assert statement.lines[3].memo == "returned item"
    assert problems(statement) == [
        (5, "failed", "INVALID", "Amount"),
        (6, "failed", "INVALID", "Transaction Date"),
    ]
    assert "'-12.3O' is not an amount" in statement.failed[0].message
    assert not statement.newest_first


def test_chase_card_with_a_padded_card_column():
    statement = parsed("chase_card_with_card.csv")
    assert statement.format is StatementFormat.CHASE_CARD
    assert [(line.card, str(line.amount)) for line in statement.lines] == [
        ("1234", "-45.20"),
        ("5678", "-45.20"),
        ("1234", "500.00"),
    ]


def test_discover_amounts_are_inverted_purchases_become_negative():
    statement = parsed("discover.csv")
    assert statement.format is StatementFormat.DISCOVER_CARD
    assert lines(statement) == [
        (2, "2026-09-02", "-10.99", "PAYPAL *SPOTIFY 4029357733 CA"),
        (3, "2026-09-05", "250.00", "INTERNET PAYMENT - THANK YOU"),
        (4, "2026-09-06", "-1015.37", "COSTCO WHSE #0001 ISSAQUAH WA"),
    ]


def test_capital_one_card_unsigned_debit_and_credit_columns():
    statement = parsed("capital_one_card.csv")
    assert statement.format is StatementFormat.CAPITAL_ONE_CARD
    assert lines(statement) == [
        (2, "2026-09-10", "-23.45", "UBER TRIP HELP.UBER.COM"),
        (3, "2026-09-12", "300.00", "CAPITAL ONE MOBILE PYMT"),
        (5, "2026-09-15", "-13.99", "GOOGLE *YouTube Premium"),
    ]
    assert problems(statement) == [(4, "failed", "REQUIRED", "Debit")]


def test_capital_one_360_transaction_type_and_two_digit_years():
    statement = parsed("capital_one_360.csv")
    assert statement.format is StatementFormat.CAPITAL_ONE_360
    assert lines(statement) == [
        (2, "2026-09-30", "0.42", "Monthly Interest Paid"),
        (3, "2026-09-21", "-50", "Zelle money sent to JANE DOE"),
        (4, "2026-09-15", "1500.00", "Deposit from ACME PAYROLL"),
        (5, "2026-09-14", "-20.00", "ATM Withdrawal - 7-ELEVEN"),
    ]
    assert problems(statement) == []  # the balances follow, newest first
    assert statement.ending_balance == StatementBalance(Decimal("1530.42"), date(2026, 9, 30))


def test_a_generic_csv_through_its_saved_mapping():
    statement = parsed("generic_semicolon.csv", mapping=GENERIC)
    assert statement.format is StatementFormat.GENERIC_CSV
    assert [
        (line.line, line.date.isoformat(), str(line.amount), line.payee, line.external_id)
        for line in statement.lines
    ] == [
        (4, "2026-09-01", "-12.50", "REWE Markt GmbH", "REF-0001"),
        (5, "2026-09-02", "2345.67", "Arbeitgeber AG", "REF-0002"),
        (6, "2026-09-03", "-1000.00", "Stadtwerke", "REF-0003"),
    ]
    assert problems(statement) == [(7, "failed", "INVALID", "Soll")]


def test_a_generic_single_amount_column_with_outflows_positive_and_no_header():
    text = b"2026-01-02,COFFEE,3.50\n2026-01-03,REFUND,-10\n"
    mapping = CsvMapping(
        date_column="1",
        description_column="2",
        amount_column="3",
        has_header=False,
        amount_sign=AmountSign.OUTFLOW_POSITIVE,
    )
    statement = parse_statement(text, mapping=mapping)
    assert lines(statement) == [
        (1, "2026-01-02", "-3.50", "COFFEE"),
        (2, "2026-01-03", "10", "REFUND"),
    ]


def test_a_mapping_is_validated_field_by_field():
    bad = CsvMapping(
        date_column="Date",
        description_column="",
        amount_column="Amount",
        debit_column="Out",
        date_format="%H:%M",
        decimal_separator=";",
    )
    with pytest.raises(ValidationFailed) as failure:
        parse_statement(b"Date,Amount\n", mapping=bad)
    assert {i.field for i in failure.value.issues} == {
        "mapping.descriptionColumn",
        "mapping.amountColumn",
        "mapping.dateFormat",
        "mapping.decimalSeparator",
    }


def test_a_mapping_naming_a_missing_column_names_it():
    mapping = CsvMapping(date_column="Date", description_column="Text", amount_column="Betrag")
    with pytest.raises(ValidationFailed) as failure:
        parse_statement(b"Date,Text,Amount\n2026-01-01,x,1\n", mapping=mapping)
    assert "'Betrag'" in failure.value.issues[0].message


def test_ofx_1_sgml_in_cp1252_with_entities_and_dates_as_written():
    statement = parsed("bank_sgml.ofx")
    assert statement.format is StatementFormat.OFX
    assert lines(statement) == [
        # 20260929213000[-4:EDT] is the 29th (it would be the 30th in UTC).
        (39, "2026-09-29", "-42.17", "CAFÉ LUMIÈRE & BAR"),
        (47, "2026-09-15", "2315.64", "ACME CORP PAYROLL"),
        (54, "2026-09-10", "-100.00", "CHECK 1002"),
    ]
    first = statement.lines[0]
    assert (first.external_id, first.memo, first.kind) == ("202609290001", "POS PURCHASE", "DEBIT")
    assert statement.lines[2].check_number == "1002"
    assert problems(statement) == [(62, "failed", "INVALID", "TRNAMT")]
    assert statement.currency == "USD"
    assert statement.account_number == "…6789"
    assert statement.ending_balance == StatementBalance(Decimal("3173.47"), date(2026, 9, 30))


def test_ofx_2_xml_card_statement_with_cdata_and_a_zero_line():
    statement = parsed("card_xml.ofx")
    assert lines(statement) == [
        (15, "2026-09-02", "-64.30", "Trader Joe's #552"),
        (24, "2026-09-10", "400.00", "PAYMENT - THANK YOU"),
    ]
    assert statement.lines[0].posted_date == date(2026, 9, 3)  # DTUSER is the date
    assert statement.lines[0].memo == "Groceries & <household> items"
    assert problems(statement) == [(31, "skipped", "ZERO_AMOUNT", None)]
    assert statement.ending_balance == StatementBalance(Decimal("-1234.56"), date(2026, 9, 30))


def test_qfx_with_intuit_tags_utf8_and_unclosed_leaves_on_one_line():
    statement = parsed("quicken.qfx")
    assert [(line.external_id, str(line.amount), line.description) for line in statement.lines] == [
        ("Q1", "1.23", "Interest — September"),
        ("Q2", "-200", "Transfer to checking"),
    ]
    assert statement.account_number == "…2222"


def test_the_format_is_detected_from_the_header_and_can_be_overridden():
    assert detect_format((FIXTURES / "discover.csv").read_bytes()) is StatementFormat.DISCOVER_CARD
    assert detect_format((FIXTURES / "quicken.qfx").read_bytes()) is StatementFormat.OFX
    assert detect_format(b"a,b,c\n1,2,3\n") is None
    with pytest.raises(ValidationFailed) as failure:
        parse_statement(b"a,b,c\n1,2,3\n")
    assert failure.value.issues[0].field == "format"
    # Naming another bank's layout finds no header of it.
    with pytest.raises(ValidationFailed) as wrong:
        parsed("discover.csv", format=StatementFormat.CHASE_CARD)
    assert wrong.value.issues[0].field == "file"


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationFailed) as failure:
        parse_statement(b"  \r\n")
    assert (failure.value.issues[0].field, failure.value.issues[0].code) == ("file", "REQUIRED")


def test_an_unterminated_quote_fails_the_rest_of_the_file_and_keeps_what_came_before():
    text = (
        b"Transaction Date,Post Date,Description,Category,Type,Amount,Memo\n"
        b"09/01/2026,09/02/2026,GOOD,,Sale,-1.00,\n"
        b'09/02/2026,09/02/2026,"BROKEN,,Sale,-2.00,\n' + b"x" * 20_000
    )
    statement = parse_statement(text)
    assert lines(statement) == [(2, "2026-09-01", "-1.00", "GOOD")]
    assert [(p.line, p.kind.value) for p in statement.problems] == [(3, "failed")]


def test_a_row_with_an_unquoted_comma_is_a_failed_row():
    text = (
        b"Trans. Date,Post Date,Description,Amount,Category\n"
        b"09/02/2026,09/02/2026,ACME, INC,10.00,Shops\n"
        b"09/03/2026,09/03/2026,GOOD,1.00,Shops\n"
    )
    statement = parse_statement(text)
    assert problems(statement) == [(2, "failed", "INVALID", None)]
    assert lines(statement) == [(3, "2026-09-03", "-1.00", "GOOD")]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2,315.64", "2315.64"),
        ("50", "50"),
        ("-12.30", "-12.30"),
        ("(12.30)", "-12.30"),
        ("$1,234.56", "1234.56"),
        ("-$5.00", "-5.00"),
        ("$-5.00", "-5.00"),
        ("12.30-", "-12.30"),
        ("+7", "7"),
        (".50", "0.50"),
        (" 1 234.50 ", "1234.50"),
    ],
)
def test_amounts_are_exact_decimals(raw, expected):
    amount = parse_amount(raw)
    assert isinstance(amount, Decimal) and str(amount) == expected


@pytest.mark.parametrize(
    "raw", ["12.3O", "1,23", "1.2.3", "--5", "12,34.56", "abc", "1e5", "NaN", "12.34567", "-", "()"]
)
def test_malformed_amounts_are_errors(raw):
    with pytest.raises(RowError):
        parse_amount(raw)


def test_comma_decimals():
    assert parse_amount("1.234,56", decimal_separator=",") == Decimal("1234.56")
    assert parse_amount("-0,5", decimal_separator=",") == Decimal("-0.5")
    with pytest.raises(RowError):
        parse_amount("1,234.56", decimal_separator=",")
