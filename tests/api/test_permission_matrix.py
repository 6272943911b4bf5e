"""Role x operation: each role may do exactly what the product promises, no more."""

from __future__ import annotations

import pytest

from fiscus.resolvers.root import build_schema
from fiscus.schema.permissions import declared_permission
from tests.api.test_members import join
from tests.graphql_client import gql, sign_up

ROLES = ("OWNER", "ADMIN", "MEMBER", "ANALYST", "VIEWER")
NOBODY = "VXNlcjowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA="  # User:<zero uuid>

LEDGER_WRITERS = {"OWNER", "ADMIN", "MEMBER"}

OPERATIONS = {
    "me": ("{ me { role } }", set(ROLES)),
    "organization": ("{ organization { name } }", set(ROLES)),
    "organization.members": (
        "{ organization { members { totalCount } } }",
        {"OWNER", "ADMIN", "MEMBER", "ANALYST"},
    ),
    "organization.pendingInvitations": (
        "{ organization { pendingInvitations { email } } }",
        {"OWNER", "ADMIN"},
    ),
    "auditLog": (
        "{ auditLog { edges { node { action } } } }",
        {"OWNER", "ADMIN", "MEMBER", "ANALYST"},
    ),
    "inviteMember": (
        "mutation($email: String!) { inviteMember(input: {email: $email, "
        "role: VIEWER}) { __typename } }",
        {"OWNER", "ADMIN"},
    ),
    "changeMemberRole": (
        f'mutation {{ changeMemberRole(input: {{userId: "{NOBODY}", '
        "role: VIEWER}) { __typename } }",
        {"OWNER", "ADMIN"},
    ),
    "removeMember": (
        f'mutation {{ removeMember(input: {{userId: "{NOBODY}"}}) {{ __typename }} }}',
        {"OWNER", "ADMIN"},
    ),
    "transferOwnership": (
        f'mutation {{ transferOwnership(input: {{userId: "{NOBODY}"}}) {{ __typename }} }}',
        {"OWNER"},
    ),
    # A wrong confirmation: the owner passes the permission check and deletes nothing.
    "deleteOrganization": (
        'mutation { deleteOrganization(input: {confirmName: "not it"}) { __typename } }',
        {"OWNER"},
    ),
    "createOrganization": (
        'mutation { createOrganization(input: {name: "Mine"}) { __typename } }',
        set(ROLES),
    ),
    # Market data: readable by every member; writes need portfolio:write.
    "instruments": (
        "{ instruments { edges { node { symbol latestPrice { close } } } } }",
        set(ROLES),
    ),
    "instrument": ('{ instrument(symbol: "AAPL") { symbol } }', set(ROLES)),
    "fxRate": ('{ fxRate(from: "USD", to: "USD") { rate } }', set(ROLES)),
    "createManualInstrument": (
        'mutation { createManualInstrument(input: {symbol: "", name: "", kind: OTHER, '
        'currency: "EUR"}) { __typename } }',
        {"OWNER", "ADMIN", "MEMBER"},
    ),
    "recordPrices": (
        'mutation { recordPrices(input: {symbol: "NOPE", prices: []}) { __typename } }',
        {"OWNER", "ADMIN", "MEMBER"},
    ),
    "importPricesCsv": (
        'mutation { importPricesCsv(input: {symbol: "NOPE", csv: ""}) { __typename } }',
        {"OWNER", "ADMIN", "MEMBER"},
    ),
    "trackInstrument": (
        'mutation { trackInstrument(input: {symbol: "NOPE"}) { __typename } }',
        {"OWNER", "ADMIN", "MEMBER"},
    ),
    # Statements: reports:read, so viewers too (they see statements, not entries).
    **{
        field: (f'{{ {field}(from: "2024-01-01", to: "2024-01-31") {{ currency }} }}', set(ROLES))
        for field in ("trialBalance", "incomeStatement", "balanceSheet", "cashFlowStatement")
    },
    "exportStatement": (
        'mutation { exportStatement(kind: BALANCE_SHEET, format: CSV, from: "2024-01-01", '
        'to: "2024-01-31") { __typename } }',
        set(ROLES),
    ),
    # The journal shows entries: ledger:read, not viewers.
    "exportJournal": (
        'mutation { exportJournal(format: CSV, from: "2024-01-01", to: "2024-01-31") '
        "{ __typename } }",
        {"OWNER", "ADMIN", "MEMBER", "ANALYST"},
    ),
    # The ledger's books: members write, analysts read, viewers see statements only (not
    # accounts, entries or lines); closing and reopening periods is for admins.
    **{
        name: (query, {"OWNER", "ADMIN", "MEMBER", "ANALYST"})
        for name, query in {
            "accounts": "{ accounts { code balance } }",
            "account": f'{{ account(id: "{NOBODY}") {{ code }} }}',
            "journalEntries": "{ journalEntries(first: 10) "
            "{ edges { node { memo lines { amount } } } } }",
            "balances": '{ balances(period: {from: "2026-01-01", to: "2026-12-31"}) { closing } }',
            "failingAssertions": "{ failingAssertions { amount } }",
            "ledgerClosedThrough": "{ ledgerClosedThrough }",
        }.items()
    },
    **{
        name: (f"mutation {{ {name}(input: {body}) {{ __typename }} }}", LEDGER_WRITERS)
        for name, body in {
            "createAccount": '{code: "", name: "", type: ASSET, currency: "EUR"}',
            "updateAccount": f'{{accountId: "{NOBODY}"}}',
            "archiveAccount": f'{{accountId: "{NOBODY}"}}',
            "unarchiveAccount": f'{{accountId: "{NOBODY}"}}',
            "deleteAccount": f'{{accountId: "{NOBODY}"}}',
            "applyAccountTemplate": '{template: "nope", currency: "EUR"}',
            "postJournalEntry": '{date: "2026-01-01", lines: [], idempotencyKey: "k"}',
            "updateDraftEntry": f'{{entryId: "{NOBODY}"}}',
            "postDraftEntry": f'{{entryId: "{NOBODY}", idempotencyKey: "k"}}',
            "reverseEntry": f'{{entryId: "{NOBODY}", idempotencyKey: "k"}}',
            "assertBalance": f'{{accountId: "{NOBODY}", date: "2026-01-01", amount: "1", '
            'currency: "EUR"}',
            "importActualsCsv": f'{{csv: "period,account,amount", offsetAccountId: "{NOBODY}", '
            "kind: MOVEMENTS}",
        }.items()
    },
    # Portfolios: members write, analysts read, viewers see neither.
    **{
        name: (query, {"OWNER", "ADMIN", "MEMBER", "ANALYST"})
        for name, query in {
            "portfolios": "{ portfolios(first: 10) { edges { node { name cash "
            "holdings { quantity } } } } }",
            "portfolio": f'{{ portfolio(id: "{NOBODY}") {{ name }} }}',
            "portfolioCsvMappings": "{ portfolioCsvMappings { name } }",
            "organizationPortfolioSummary": "{ organizationPortfolioSummary { currency } }",
            "exportCapitalGains": "mutation { exportCapitalGains(input: {portfolioId: "
            f'"{NOBODY}", taxYear: 2024, format: CSV}}) {{ __typename }} }}',
        }.items()
    },
    **{
        name: (f"mutation {{ {name}(input: {body}) {{ __typename }} }}", LEDGER_WRITERS)
        for name, body in {
            "createPortfolio": '{name: "", baseCurrency: "USD"}',
            "updatePortfolio": f'{{portfolioId: "{NOBODY}"}}',
            "deletePortfolio": f'{{portfolioId: "{NOBODY}"}}',
            "recordPortfolioTransactions": f'{{portfolioId: "{NOBODY}", idempotencyKey: "k", '
            "transactions: []}",
            "updatePortfolioTransaction": f'{{transactionId: "{NOBODY}"}}',
            "deletePortfolioTransaction": f'{{transactionId: "{NOBODY}"}}',
            "transferBetweenPortfolios": f'{{fromPortfolioId: "{NOBODY}", toPortfolioId: '
            f'"{NOBODY}", date: "2024-01-01", symbol: "AAPL", quantity: "1", idempotencyKey: "k"}}',
            "importPortfolioTransactionsCsv": f'{{portfolioId: "{NOBODY}", csv: "", '
            'idempotencyKey: "k"}',
        }.items()
    },
    # Receivables: members write, analysts read, viewers see none of it (counterparties,
    # balances and aging name people; viewers keep reports:read for the ledger's statements).
    **{
        name: (query, {"OWNER", "ADMIN", "MEMBER", "ANALYST"})
        for name, query in {
            "counterparties": "{ counterparties(first: 5) { edges { node { name balance } } } }",
            "counterparty": f'{{ counterparty(id: "{NOBODY}") {{ name }} }}',
            "charges": "{ charges(first: 5, status: OPEN) { edges { node { amount } } } }",
            "payments": "{ payments(first: 5) { edges { node { amount } } } }",
            "aging": '{ aging(asOf: "2026-01-31", groupBy: TOTAL) { csv } }',
            "statementOfAccount": f'{{ statementOfAccount(counterpartyId: "{NOBODY}", '
            'from: "2026-01-01", to: "2026-01-31") { csv } }',
        }.items()
    },
    **{
        name: (f"mutation {{ {name}(input: {body}) {{ __typename }} }}", LEDGER_WRITERS)
        for name, body in {
            "createCounterparty": '{kind: TENANT, name: "", currency: "USD"}',
            "updateCounterparty": f'{{counterpartyId: "{NOBODY}"}}',
            "createCharge": f'{{counterpartyId: "{NOBODY}", kind: RENT, amount: "1", '
            'dueOn: "2026-01-01", idempotencyKey: "k"}',
            "voidCharge": f'{{chargeId: "{NOBODY}", idempotencyKey: "k"}}',
            "recordPayment": f'{{counterpartyId: "{NOBODY}", amount: "1", date: "2026-01-01", '
            f'accountId: "{NOBODY}", idempotencyKey: "k"}}',
            "allocatePayment": f'{{paymentId: "{NOBODY}", idempotencyKey: "k"}}',
            "voidPayment": f'{{paymentId: "{NOBODY}", idempotencyKey: "k"}}',
        }.items()
    },
    # Properties: members write, analysts read; occupancy, cash flow and the delinquency
    # trend are reports (aggregates naming no tenant): viewers too.
    **{
        name: (query, {"OWNER", "ADMIN", "MEMBER", "ANALYST"})
        for name, query in {
            "buildings": "{ buildings(first: 5) { edges { node { name units(first: 2) "
            "{ number } } } } }",
            "building": f'{{ building(id: "{NOBODY}") {{ name }} }}',
            "lease": f'{{ lease(id: "{NOBODY}") {{ startsOn }} }}',
        }.items()
    },
    **{
        name: (query, set(ROLES))
        for name, query in {
            "occupancy": '{ occupancy(from: "2026-01-01", to: "2026-01-31") { csv } }',
            "propertyCashFlow": f'{{ propertyCashFlow(buildingId: "{NOBODY}", '
            'from: "2026-01-01", to: "2026-01-31") { csv } }',
            "delinquencyTrend": '{ delinquencyTrend(from: "2026-01-01", to: "2026-12-31") '
            "{ csv } }",
        }.items()
    },
    **{
        name: (f"mutation {{ {name}(input: {body}) {{ __typename }} }}", LEDGER_WRITERS)
        for name, body in {
            "createBuilding": '{name: "", currency: "USD"}',
            "updateBuilding": f'{{buildingId: "{NOBODY}"}}',
            "deleteBuilding": f'{{buildingId: "{NOBODY}"}}',
            "createUnit": f'{{buildingId: "{NOBODY}", number: "1"}}',
            "updateUnit": f'{{unitId: "{NOBODY}"}}',
            "deleteUnit": f'{{unitId: "{NOBODY}"}}',
            "createLease": f'{{unitId: "{NOBODY}", startsOn: "2026-01-01", '
            f'monthlyRent: "1", parties: [{{counterpartyId: "{NOBODY}"}}], '
            'idempotencyKey: "k"}',
            "updateLease": f'{{leaseId: "{NOBODY}"}}',
            "deleteLease": f'{{leaseId: "{NOBODY}"}}',
            "terminateLease": f'{{leaseId: "{NOBODY}", date: "2026-01-01", idempotencyKey: "k"}}',
            "addLeaseDocument": f'{{leaseId: "{NOBODY}", name: "lease.pdf"}}',
            "removeLeaseDocument": f'{{documentId: "{NOBODY}"}}',
            "recordPropertyExpense": f'{{vendorId: "{NOBODY}", buildingId: "{NOBODY}", '
            f'amount: "1", date: "2026-01-01", category: "{NOBODY}", '
            f'paymentAccount: "{NOBODY}", idempotencyKey: "k"}}',
        }.items()
    },
    "closePeriod": (
        'mutation { closePeriod(input: {through: "2000-01-01"}) { __typename } }',
        {"OWNER", "ADMIN"},
    ),
    "reopenPeriod": (
        'mutation { reopenPeriod(input: {from: "2000-01-01"}) { __typename } }',
        {"OWNER", "ADMIN"},
    ),
    # Debts: debts:read for members and analysts, debts:write for members; viewers neither.
    **{
        name: (query, {"OWNER", "ADMIN", "MEMBER", "ANALYST"})
        for name, query in {
            "debts": "{ debts(first: 5) { edges { node { name balance } } } }",
            "debt": f'{{ debt(id: "{NOBODY}") {{ name }} }}',
            "payoffPlan": '{ payoffPlan(input: {monthlyBudget: "100"}) { __typename } }',
        }.items()
    },
    **{
        name: (f"mutation {{ {name}(input: {body}) {{ __typename }} }}", LEDGER_WRITERS)
        for name, body in {
            "createDebt": '{name: "", kind: OTHER, currency: "EUR", openingBalance: "1", '
            'annualRatePercent: "1", paymentRule: {kind: FIXED, amount: "1"}, paymentDay: 1, '
            f'startDate: "2026-01-01", liabilityAccountId: "{NOBODY}", '
            f'interestAccountId: "{NOBODY}"}}',
            "setDebtRateChange": f'{{debtId: "{NOBODY}", from: "2027-01-01", '
            'annualRatePercent: "1"}',
            "closeDebt": f'{{debtId: "{NOBODY}"}}',
            "recordDebtPayment": f'{{debtId: "{NOBODY}", date: "2026-01-01", amount: "1", '
            f'fromAccountId: "{NOBODY}", idempotencyKey: "k"}}',
        }.items()
    },
    # Budgets and goals: budgets:read / budgets:write.
    **{
        name: (query, {"OWNER", "ADMIN", "MEMBER", "ANALYST"})
        for name, query in {
            "budgets": "{ budgets(first: 5) { edges { node { name status { spent } } } } }",
            "budget": f'{{ budget(id: "{NOBODY}") {{ name }} }}',
            "goals": "{ goals(first: 5) { edges { node { name progress { percent } } } } }",
            "goal": f'{{ goal(id: "{NOBODY}") {{ name }} }}',
        }.items()
    },
    **{
        name: (f"mutation {{ {name}(input: {body}) {{ __typename }} }}", LEDGER_WRITERS)
        for name, body in {
            "createBudget": f'{{name: "", accountId: "{NOBODY}", amount: "1", '
            'startMonth: "2026-01-01"}',
            "updateBudget": f'{{budgetId: "{NOBODY}"}}',
            "deleteBudget": f'{{budgetId: "{NOBODY}"}}',
            "createGoal": '{name: "", kind: OTHER, targetAmount: "1", currency: "EUR", '
            "tracking: CONTRIBUTIONS}",
            "updateGoal": f'{{goalId: "{NOBODY}"}}',
            "deleteGoal": f'{{goalId: "{NOBODY}"}}',
            "contributeToGoal": f'{{goalId: "{NOBODY}", amount: "1", fromAccountId: "{NOBODY}", '
            f'toAccountId: "{NOBODY}", date: "2026-01-01", idempotencyKey: "k"}}',
        }.items()
    },
    # Income and expenses: shortcuts post (ledger:write); statistics and receipts show entry
    # details (ledger:read).
    "incomeExpenseStats": (
        '{ incomeExpenseStats(from: "2026-01-01", to: "2026-03-31") { currency } }',
        {"OWNER", "ADMIN", "MEMBER", "ANALYST"},
    ),
    "entryAttachments": (
        f'{{ entryAttachments(entryId: "{NOBODY}") {{ filename }} }}',
        {"OWNER", "ADMIN", "MEMBER", "ANALYST"},
    ),
    **{
        name: (f"mutation {{ {name}(input: {body}) {{ __typename }} }}", LEDGER_WRITERS)
        for name, body in {
            "recordIncome": f'{{title: "", amount: "1", categoryId: "{NOBODY}", '
            f'date: "2026-01-01", paymentAccountId: "{NOBODY}", idempotencyKey: "k"}}',
            "recordExpense": f'{{title: "", amount: "1", categoryId: "{NOBODY}", '
            f'date: "2026-01-01", paymentAccountId: "{NOBODY}", idempotencyKey: "k"}}',
            "deleteAttachment": f'{{attachmentId: "{NOBODY}"}}',
        }.items()
    },
    # Backtests: results are reports (reports:read), so viewers read them too -- but not the
    # real portfolio a run was compared with (Backtest.portfolioComparison needs
    # portfolio:read: tests/api/test_backtests.py); running one is analytics:run (analysts and
    # above; the empty input is a typed error after the check); the organization's risk-free
    # rate is a setting (org:update; an out-of-range rate is a typed error, nothing written).
    "backtest": (f'{{ backtest(id: "{NOBODY}") {{ name }} }}', set(ROLES)),
    "backtests": ("{ backtests(first: 5) { edges { node { name status } } } }", set(ROLES)),
    "analyticsSettings": ("{ analyticsSettings { riskFreeRate riskFreeSymbol } }", set(ROLES)),
    "runBacktest": (
        'mutation { runBacktest(input: {start: "2024-01-01", end: "2024-02-01", '
        "strategies: []}) { __typename } }",
        {"OWNER", "ADMIN", "MEMBER", "ANALYST"},
    ),
    "updateAnalyticsSettings": (
        'mutation { updateAnalyticsSettings(input: {riskFreeRate: "5"}) { __typename } }',
        {"OWNER", "ADMIN"},
    ),
    # Bank import and categorization: ledger:read to see, ledger:write to change.
    **{
        name: (query, {"OWNER", "ADMIN", "MEMBER", "ANALYST"})
        for name, query in {
            "imports": "{ imports(first: 5) { edges { node { status } } } }",
            "import": f'{{ import(id: "{NOBODY}") {{ status }} }}',
            "bankLines": "{ bankLines(first: 5) { edges { node { payee } } } }",
            "csvMappings": "{ csvMappings { name } }",
            "bankConnections": "{ bankConnections { status } }",
            "categorizationRules": "{ categorizationRules { name } }",
            "previewRule": "{ previewRule { __typename } }",
            "suggestCategories": f'{{ suggestCategories(lineIds: ["{NOBODY}"]) {{ confidence }} }}',
            "categorizationModel": "{ categorizationModel { accuracy } }",
            "recurringTransactions": "{ recurringTransactions { payee } }",
            "spendingClusters": "{ spendingClusters { name } }",
        }.items()
    },
    **{
        name: (f"mutation {{ {name}{body} {{ __typename }} }}", LEDGER_WRITERS)
        for name, body in {
            "importStatement": f'(input: {{accountId: "{NOBODY}", file: "not a file"}})',
            "saveCsvMapping": '(input: {name: "", mapping: {dateColumn: "", '
            'descriptionColumn: ""}})',
            "deleteCsvMapping": f'(input: {{mappingId: "{NOBODY}"}})',
            "reconcileAccount": f'(input: {{accountId: "{NOBODY}", statementDate: "2026-01-01", '
            'statementBalance: "1"})',
            "createCategorizationRule": '(input: {name: "", conditions: {}, actions: {}})',
            "updateCategorizationRule": f'(input: {{ruleId: "{NOBODY}", rule: {{name: "x", '
            "conditions: {}, actions: {}}})",
            "deleteCategorizationRule": f'(input: {{ruleId: "{NOBODY}"}})',
            "reorderCategorizationRules": f'(input: {{ruleIds: ["{NOBODY}"]}})',
            "applyCategorizationRules": f'(input: {{accountId: "{NOBODY}"}})',
            "acceptSuggestion": f'(input: {{lineIds: ["{NOBODY}"]}})',
            "categorizeLines": f'(input: {{lineIds: ["{NOBODY}"], accountId: "{NOBODY}"}})',
            "trainCategorizer": "",
            "connectPlaidItem": '(input: {publicToken: "public-x", accounts: []})',
            "updateBankConnection": f'(input: {{connectionId: "{NOBODY}", accounts: []}})',
            "deleteBankConnection": f'(input: {{connectionId: "{NOBODY}"}})',
            "syncBankConnection": f'(input: {{connectionId: "{NOBODY}"}})',
        }.items()
    },
    # Public: whoever calls it, an unknown token is a typed error, never FORBIDDEN.
    "verifyEmail": (
        'mutation { verifyEmail(input: {token: "vfy_unknown"}) { __typename } }',
        set(ROLES),
    ),
}


@pytest.fixture
async def tokens(client, app, settings) -> dict[str, str]:
    owner = await sign_up(client, "owner@example.com")
    found = {"OWNER": owner.token}
    for role in ROLES[1:]:
        _, token = await join(
            client, app.state.runtime.queue, settings, owner, f"{role.lower()}@example.com", role
        )
        found[role] = token
    return found


async def test_role_by_operation_matrix(client, tokens):
    outcomes: dict[tuple[str, str], str] = {}
    for name, (query, allowed) in OPERATIONS.items():
        for role in ROLES:
            body = await gql(
                client, query, {"email": f"new-{role}@example.com"}, token=tokens[role]
            )
            errors = body.get("errors") or []
            codes = {e.get("extensions", {}).get("code") for e in errors}
            outcome = "FORBIDDEN" if "FORBIDDEN" in codes else ("ERROR" if errors else "ALLOWED")
            outcomes[(name, role)] = outcome
            expected = "ALLOWED" if role in allowed else "FORBIDDEN"
            assert outcome == expected, (name, role, body)
    assert len(outcomes) == len(OPERATIONS) * len(ROLES)


def test_every_root_field_declares_its_permission():
    schema = build_schema()
    undeclared = []
    for root in ("Query", "Mutation", "Subscription"):
        definition = schema.get_type_by_name(root)
        for field in definition.fields:
            if declared_permission(field.permission_classes) is None:
                undeclared.append(f"{root}.{field.python_name}")
    assert undeclared == []


def test_every_root_field_is_covered_by_the_matrix_or_named_public():
    schema = build_schema()
    public = {
        "signUp",
        "verifyEmail",
        "logIn",
        "refreshToken",
        "requestPasswordReset",
        "resetPassword",
    }
    covered_elsewhere = {
        "logOut",
        "switchOrganization",
        "acceptInvitation",
        "node",
        "organizationActivity",
        "priceUpdates",
        "ledgerActivity",
        "portfolioValuation",
        "backtestProgress",
        "importProgress",
    }  # own tests: authentication, members, realtime, test_price_updates, test_ledger_api,
    # test_portfolio_valuation, test_tenant_isolation (backtestProgress: viewers follow their
    # organization's runs), test_imports_progress
    names = set()
    for root in ("Query", "Mutation", "Subscription"):
        names |= {
            f.graphql_name or _camel(f.python_name) for f in schema.get_type_by_name(root).fields
        }
    matrix = {n.split(".")[0] for n in OPERATIONS}
    assert names - matrix - public - covered_elsewhere == set()


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def test_public_mutations_declare_public():
    schema = build_schema()
    mutation = schema.get_type_by_name("Mutation")
    declared = {
        f.graphql_name or _camel(f.python_name): declared_permission(f.permission_classes)
        for f in mutation.fields
    }
    for name in ("signUp", "verifyEmail", "logIn", "requestPasswordReset", "resetPassword"):
        assert declared[name] == "public", name
