"""Portfolio mutations: one ``input`` each, one service call, typed errors. Writes need
``PORTFOLIO_WRITE``; the capital-gains export link needs ``PORTFOLIO_READ``."""

from __future__ import annotations

from typing import cast

import strawberry
from strawberry.types import Info

from fiscus.domain.identity import Permission
from fiscus.resolvers.portfolios import ids
from fiscus.resolvers.portfolios.queries import csv_mapping_type
from fiscus.schema.errors import attempt
from fiscus.schema.ledger_statements import ExportLink
from fiscus.schema.permissions import requires
from fiscus.schema.portfolios import inputs as io
from fiscus.schema.portfolios.records import PortfolioTransaction
from fiscus.schema.portfolios.types import Portfolio
from fiscus.schema.relay import to_global_id
from fiscus.services.portfolios import (
    csv_import,
    editing,
    exports,
    portfolios,
    recording,
    transfers,
)
from fiscus.services.portfolios.csv_mapping import CsvMapping, checked_mapping

WRITE = [requires(Permission.PORTFOLIO_WRITE)]
READ = [requires(Permission.PORTFOLIO_READ)]


def _mapping(raw: io.CsvMappingInput) -> CsvMapping:
    columns = {
        "date": raw.date,
        "type": raw.type,
        "symbol": raw.symbol,
        "quantity": raw.quantity,
        "price": raw.price,
        "fee": raw.fee,
        "amount": raw.amount,
        "ratio": raw.ratio,
        "reference": raw.reference,
        "note": raw.note,
        "currency": raw.currency,
    }
    return checked_mapping(
        columns,
        date_format=raw.date_format,
        decimal_separator=raw.decimal_separator,
        type_values={t.value: t.type for t in raw.type_values or ()},
    )


@strawberry.type
class PortfolioMutation:
    @strawberry.mutation(permission_classes=WRITE)
    async def create_portfolio(
        self, info: Info, input: io.CreatePortfolioInput
    ) -> io.PortfolioResult:
        principal = await info.context.require_principal()

        async def run() -> io.PortfolioSuccess:
            created = await portfolios.create_portfolio(
                info.context.portfolios,
                principal,
                name=input.name,
                base_currency=input.base_currency,
                cost_basis_method=input.cost_basis_method,
                allow_margin=input.allow_margin,
            )
            return io.PortfolioSuccess(portfolio=Portfolio.from_domain(created))

        return await attempt(run)

    @strawberry.mutation(
        description="A new cost-basis method or margin rule replays the whole history "
        "(refused when the history breaks a rule under it).",
        permission_classes=WRITE,
    )
    async def update_portfolio(
        self, info: Info, input: io.UpdatePortfolioInput
    ) -> io.PortfolioResult:
        principal = await info.context.require_principal()

        async def run() -> io.PortfolioSuccess:
            changes = portfolios.PortfolioChanges(
                name=input.name,
                cost_basis_method=input.cost_basis_method,
                allow_margin=input.allow_margin,
                archived=input.archived,
            )
            updated = await portfolios.update_portfolio(
                info.context.portfolios, principal, ids.portfolio_id(input.portfolio_id), changes
            )
            return io.PortfolioSuccess(portfolio=Portfolio.from_domain(updated))

        return await attempt(run)

    @strawberry.mutation(
        description="Deletes the portfolio and its transactions (not while it holds a "
        "transfer with another portfolio).",
        permission_classes=WRITE,
    )
    async def delete_portfolio(
        self, info: Info, input: io.PortfolioIdInput
    ) -> io.DeletePortfolioResult:
        principal = await info.context.require_principal()

        async def run() -> io.DeletePortfolioSuccess:
            gone = await portfolios.delete_portfolio(
                info.context.portfolios, principal, ids.portfolio_id(input.portfolio_id)
            )
            return io.DeletePortfolioSuccess(deleted_portfolio_id=to_global_id("Portfolio", gone))

        return await attempt(run)

    @strawberry.mutation(
        description="Records up to 10,000 transactions, all or nothing, replaying the history "
        "once. Errors name `input.transactions[<i>].<field>`; a reference already recorded "
        "is DUPLICATE_REFERENCE. Same idempotency key and input: the first result.",
        permission_classes=WRITE,
    )
    async def record_portfolio_transactions(
        self, info: Info, input: io.RecordPortfolioTransactionsInput
    ) -> io.RecordPortfolioTransactionsResult:
        principal = await info.context.require_principal()

        async def run() -> io.RecordPortfolioTransactionsSuccess:
            done = await recording.record_transactions(
                info.context.portfolios,
                principal,
                ids.portfolio_id(input.portfolio_id),
                ids.rows(input.transactions),
                idempotency_key=input.idempotency_key,
            )
            return io.RecordPortfolioTransactionsSuccess(
                portfolio=Portfolio.from_domain(done.portfolio),
                recorded=len(done.transactions),
                replayed=done.replayed,
                stored=done.transactions,
            )

        return await attempt(run)

    @strawberry.mutation(
        description="Changes the fields given and recomputes everything after the row.",
        permission_classes=WRITE,
    )
    async def update_portfolio_transaction(
        self, info: Info, input: io.UpdatePortfolioTransactionInput
    ) -> io.PortfolioTransactionResult:
        principal = await info.context.require_principal()

        async def run() -> io.PortfolioTransactionSuccess:
            changes = editing.TransactionChanges(
                type=input.type,
                date=input.date,
                symbol=input.symbol,
                quantity=input.quantity,
                price=input.price,
                fee=input.fee,
                amount=input.amount,
                ratio=input.ratio,
                lots=ids.picks(input.lots) if input.lots is not None else None,
                reference=input.reference,
                note=input.note,
                currency=input.currency,
            )
            edited = await editing.update_transaction(
                info.context.portfolios,
                principal,
                ids.transaction_id(input.transaction_id),
                changes,
            )
            return io.PortfolioTransactionSuccess(
                portfolio=Portfolio.from_domain(edited.portfolio),
                transaction=PortfolioTransaction.from_domain(edited.transaction),
            )

        return await attempt(run)

    @strawberry.mutation(
        description="Deletes the row (both legs of a transfer) and recomputes everything "
        "after it; refused when a later row would then break a rule.",
        permission_classes=WRITE,
    )
    async def delete_portfolio_transaction(
        self, info: Info, input: io.DeletePortfolioTransactionInput
    ) -> io.DeletePortfolioTransactionResult:
        principal = await info.context.require_principal()

        async def run() -> io.DeletePortfolioTransactionSuccess:
            portfolio = await editing.delete_transaction(
                info.context.portfolios, principal, ids.transaction_id(input.transaction_id)
            )
            return io.DeletePortfolioTransactionSuccess(
                portfolio=Portfolio.from_domain(portfolio),
                deleted_transaction_id=input.transaction_id,
            )

        return await attempt(run)

    @strawberry.mutation(
        description="Moves units (with their lots' dates and cost) to another portfolio: a "
        "TRANSFER_OUT and a TRANSFER_IN, paired.",
        permission_classes=WRITE,
    )
    async def transfer_between_portfolios(
        self, info: Info, input: io.TransferBetweenPortfoliosInput
    ) -> io.TransferResult:
        principal = await info.context.require_principal()

        async def run() -> io.TransferSuccess:
            done = await transfers.transfer_between_portfolios(
                info.context.portfolios,
                principal,
                from_portfolio_id=ids.portfolio_id(input.from_portfolio_id, "fromPortfolioId"),
                to_portfolio_id=ids.portfolio_id(input.to_portfolio_id, "toPortfolioId"),
                day=input.date,
                symbol=input.symbol,
                quantity=input.quantity,
                lots=ids.picks(input.lots),
                idempotency_key=input.idempotency_key,
                note=input.note,
            )
            return io.TransferSuccess(
                source=Portfolio.from_domain(done.source),
                target=Portfolio.from_domain(done.target),
                transfer_out=PortfolioTransaction.from_domain(done.out_leg),
                transfer_in=PortfolioTransaction.from_domain(done.in_leg),
                replayed=done.replayed,
            )

        return await attempt(run)

    @strawberry.mutation(
        description="Imports a CSV through a saved or given column mapping. Rows whose "
        "reference is already recorded are skipped (`duplicates`); row problems name "
        "`input.csv[<line>].<field>`; all or nothing otherwise.",
        permission_classes=WRITE,
    )
    async def import_portfolio_transactions_csv(
        self, info: Info, input: io.ImportPortfolioTransactionsCsvInput
    ) -> io.ImportPortfolioCsvResult:
        principal = await info.context.require_principal()

        async def run() -> io.ImportPortfolioCsvSuccess:
            imported = await csv_import.import_csv(
                info.context.portfolios,
                principal,
                ids.portfolio_id(input.portfolio_id),
                csv_text=input.csv,
                mapping=_mapping(input.mapping) if input.mapping else None,
                mapping_id=ids.mapping_id(input.mapping_id) if input.mapping_id else None,
                save_as=input.save_mapping_as,
                idempotency_key=input.idempotency_key,
            )
            recorded = imported.recorded
            return io.ImportPortfolioCsvSuccess(
                portfolio=Portfolio.from_domain(recorded.portfolio),
                transactions=[PortfolioTransaction.from_domain(s) for s in recorded.transactions],
                imported=len(recorded.transactions),
                duplicates=[
                    io.CsvDuplicate(line=line, reference=reference)
                    for line, reference in imported.duplicates
                ],
                mapping=csv_mapping_type(imported.mapping) if imported.mapping else None,
                replayed=recorded.replayed,
            )

        return await attempt(run)

    @strawberry.mutation(
        description="A link to download a tax year's capital-gains report as CSV or XLSX "
        "(GET /exports/portfolios/<token> with your access token, within five minutes).",
        permission_classes=READ,
    )
    async def export_capital_gains(
        self, info: Info, input: io.ExportCapitalGainsInput
    ) -> io.CapitalGainsExportResult:
        principal = await info.context.require_principal()
        ctx = info.context.portfolios

        async def run() -> ExportLink:
            portfolio_id = ids.portfolio_id(input.portfolio_id)
            await exports.capital_gains(ctx, principal, portfolio_id, input.tax_year)
            token, expires_at = exports.create_link(
                exports.link_key(ctx.settings),
                principal,
                exports.ExportRequest(portfolio_id, input.tax_year, input.format.value),
                ctx.clock(),
            )
            return ExportLink(url=f"/exports/portfolios/{token}", expires_at=expires_at)

        return cast(io.CapitalGainsExportResult, await attempt(run))
