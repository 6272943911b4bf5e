"""The lean execution context answers exactly what graphql-core's own path answers: data,
errors, their paths and null propagation, for plain attributes, resolvers, lists, enums,
custom scalars, interfaces, fragments and directives."""

from __future__ import annotations

import asyncio
import enum
from decimal import Decimal
from typing import Any

import pytest
import strawberry
from graphql import parse
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from fiscus.schema.execution import LeanExecutionContext
from fiscus.transport.execution import execute_validated


@strawberry.enum
class Kind(enum.Enum):
    EQUITY = "equity"
    BOND = "bond"


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Price:
    close: Decimal
    as_of: str | None = None


@strawberry.type
class Instrument(Named):
    symbol: str
    kind: Kind
    tags: list[str]
    maybe_tags: list[str | None] | None = None
    price: Price | None = None
    required_price: Price | None = None

    @strawberry.field
    def upper(self) -> str:
        return self.symbol.upper()

    @strawberry.field
    async def later(self) -> str:
        await asyncio.sleep(0)
        return self.symbol.lower()

    @strawberry.field
    def broken(self) -> str | None:
        raise ValueError("broken resolver")


@strawberry.type
class Holding:
    quantity: Decimal
    instrument: Instrument
    weight: float | None
    note: str | None = None


@strawberry.type
class Strict:
    """``value`` is declared non-null but the object may carry None (a bug to report)."""

    value: str
    child: Strict | None = None


@strawberry.type
class Wrapper:
    label: str
    strict: Strict

    @strawberry.field
    async def later_strict(self) -> Strict:
        await asyncio.sleep(0)
        return self.strict


@strawberry.type
class Portfolio:
    name: str
    holdings: list[Holding]
    maybe: list[Holding | None] | None = None
    stricts: list[Strict] | None = None

    @strawberry.field
    async def loaded(self) -> list[Holding]:
        await asyncio.sleep(0)
        return self.holdings

    @strawberry.field
    def loaded_strict(self) -> list[Strict] | None:
        return self.stricts


def _instrument(symbol: str, *, price: bool = True) -> Instrument:
    return Instrument(
        name=f"{symbol} Inc.",
        symbol=symbol,
        kind=Kind.EQUITY if symbol != "BND" else Kind.BOND,
        tags=["a", symbol],
        maybe_tags=["x", None],
        price=Price(close=Decimal("12.50"), as_of="2026-11-30") if price else None,
    )


def _portfolio(broken: bool = False) -> Portfolio:
    holdings = [
        Holding(quantity=Decimal(i), instrument=_instrument(s), weight=0.25 * i)
        for i, s in enumerate(["AAPL", "MSFT", "BND"])
    ]
    holdings.append(
        Holding(quantity=Decimal("1.5"), instrument=_instrument("NOP", price=False), weight=None)
    )
    stricts = [Strict(value="ok", child=Strict(value="inner"))]
    if broken:
        stricts.append(Strict(value=None, child=None))  # type: ignore[arg-type]
        stricts.append(Strict(value="outer", child=Strict(value=None)))  # type: ignore[arg-type]
        holdings.append(Holding(quantity=None, instrument=None, weight=None))  # type: ignore[arg-type]
    return Portfolio(name="Main", holdings=holdings, maybe=[holdings[0], None], stricts=stricts)


@strawberry.type
class Query:
    @strawberry.field
    def portfolio(self) -> Portfolio:
        return _portfolio()

    @strawberry.field
    def broken_portfolio(self) -> Portfolio | None:
        return _portfolio(broken=True)

    @strawberry.field
    def shared(self) -> list[Holding]:
        """One instrument object under several holdings (completed once, shared)."""
        one = _instrument("AAPL")
        return [Holding(quantity=Decimal(n), instrument=one, weight=None) for n in range(3)]

    @strawberry.field
    def child_broken(self) -> list[Strict]:
        return [Strict(value="outer", child=Strict(value=None))]  # type: ignore[arg-type]

    @strawberry.field
    def wrapped(self) -> list[Wrapper | None]:
        return [
            Wrapper(label="fine", strict=Strict(value="ok")),
            Wrapper(label="broken", strict=Strict(value=None)),  # type: ignore[arg-type]
        ]

    @strawberry.field
    async def wrapped_later(self) -> list[Wrapper]:
        await asyncio.sleep(0)
        return [Wrapper(label="fine", strict=Strict(value="ok"))]

    @strawberry.field
    def named(self) -> list[Named]:
        return [_instrument("AAPL")]

    @strawberry.field
    def not_an_instrument(self) -> Holding | None:
        return Holding(quantity=Decimal(1), instrument=object(), weight=None)  # type: ignore[arg-type]


def _schema(context_class: type) -> strawberry.Schema:
    return strawberry.Schema(query=Query, execution_context_class=context_class)


LEAN = _schema(LeanExecutionContext)
PLAIN = _schema(StrawberryGraphQLCoreExecutionContext)

QUERIES = [
    """{ portfolio { name holdings { quantity weight note instrument { __typename name
        symbol kind tags maybeTags upper later price { close asOf } } } } }""",
    """{ portfolio { n: name h: holdings { q: quantity, quantity
        instrument { s: symbol symbol } } } }""",
    """query($skip: Boolean!) { portfolio { holdings { quantity @skip(if: $skip)
        instrument { symbol @include(if: $skip) } } } }""",
    """{ portfolio { ...P } } fragment P on Portfolio { name holdings { ...H } }
       fragment H on Holding { quantity instrument { ... on Instrument { symbol kind } } }""",
    "{ portfolio { loaded { quantity instrument { symbol broken later } } } }",
    "{ portfolio { maybe { quantity instrument { symbol } } } }",
    "{ brokenPortfolio { name stricts { value child { value } } } }",
    "{ brokenPortfolio { name loadedStrict { value child { value } } } }",
    "{ brokenPortfolio { holdings { quantity } } }",
    "{ brokenPortfolio { holdings { instrument { symbol } } } }",
    "{ brokenPortfolio { loaded { instrument { symbol } } } }",
    "{ childBroken { value child { value } } }",
    "{ shared { quantity instrument { symbol kind tags price { close } } } }",
    "{ shared { a: instrument { symbol } b: instrument { symbol name upper } } }",
    "{ wrapped { label strict { value } } }",
    "{ wrapped { label laterStrict { value child { value } } } }",
    "{ wrappedLater { __typename label strict { __typename value } laterStrict { value } } }",
    "{ named { __typename name ... on Instrument { symbol price { close } } } }",
    "{ notAnInstrument { quantity instrument { symbol } } }",
    "{ portfolio { holdings { instrument { requiredPrice { close } } } } }",
]


async def _run(schema: strawberry.Schema, query: str) -> dict[str, Any]:
    result = await execute_validated(
        schema,
        parse(query),
        operation_name=None,
        variables={"skip": False},
        context=None,
    )
    return {
        "data": result.data,
        "errors": sorted(
            (str(error.message), tuple(error.path or ())) for error in result.errors or []
        ),
    }


@pytest.mark.parametrize("query", QUERIES)
async def test_lean_execution_answers_what_graphql_core_answers(query: str) -> None:
    lean = await _run(LEAN, query)
    plain = await _run(PLAIN, query)
    assert lean == plain
    assert lean["data"] is not None or lean["errors"]


async def test_broken_objects_report_errors_at_their_paths() -> None:
    """The comparison above must not pass vacuously: these answers carry errors."""
    answer = await _run(LEAN, "{ brokenPortfolio { name stricts { value child { value } } } }")
    paths = [path for _, path in answer["errors"]]
    assert paths == [("brokenPortfolio", "stricts", 1, "value")]
    assert answer["data"]["brokenPortfolio"]["stricts"] is None
    answer = await _run(LEAN, "{ childBroken { value child { value } } }")
    assert [path for _, path in answer["errors"]] == [("childBroken", 0, "child", "value")]
    assert answer["data"] == {"childBroken": [{"value": "outer", "child": None}]}
    answer = await _run(LEAN, "{ notAnInstrument { quantity instrument { symbol } } }")
    assert answer["errors"] and answer["data"] == {"notAnInstrument": None}


class _CountingLean(LeanExecutionContext):
    infos = 0

    def build_resolve_info(self, *args: Any, **kwargs: Any) -> Any:
        type(self).infos += 1
        return super().build_resolve_info(*args, **kwargs)


class _CountingPlain(StrawberryGraphQLCoreExecutionContext):
    infos = 0

    def build_resolve_info(self, *args: Any, **kwargs: Any) -> Any:
        type(self).infos += 1
        return super().build_resolve_info(*args, **kwargs)


async def test_plain_attributes_skip_graphql_cores_per_field_machinery() -> None:
    query = QUERIES[0]
    await _run(_schema(_CountingLean), query)
    await _run(_schema(_CountingPlain), query)
    # Only the resolvers (portfolio, and upper + later on each of 4 instruments) build an
    # info; graphql-core builds one for each of the ~70 fields.
    assert _CountingLean.infos == 1 + 2 * 4
    assert _CountingPlain.infos > 60
