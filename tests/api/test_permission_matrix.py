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
    "closePeriod": (
        'mutation { closePeriod(input: {through: "2000-01-01"}) { __typename } }',
        {"OWNER", "ADMIN"},
    ),
    "reopenPeriod": (
        'mutation { reopenPeriod(input: {from: "2000-01-01"}) { __typename } }',
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
        "importProgress",
    }  # own tests: authentication, members, realtime, test_price_updates, test_ledger_api,
    # test_imports_progress
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
