"""Deleting an organization: confirmed by name, owner only, gone for everyone."""

from __future__ import annotations

from tests.api.test_authentication import REFRESH
from tests.api.test_members import MEMBERS, join
from tests.graphql_client import gql, sign_up

DELETE = """mutation($name: String!) { deleteOrganization(input: {confirmName: $name}) {
  __typename ... on DeleteOrganizationSuccess { deletedOrganizationId }
  ... on UserError { code field message } } }"""


async def test_a_wrong_confirmation_deletes_nothing(client):
    owner = await sign_up(client, "owner@example.com", org="Household")
    wrong = await gql(client, DELETE, {"name": "household"}, token=owner.token)
    assert wrong["data"]["deleteOrganization"]["code"] == "CONFIRMATION_MISMATCH"
    assert wrong["data"]["deleteOrganization"]["field"] == "input.confirmName"
    still = await gql(client, MEMBERS, token=owner.token)
    assert still["data"]["organization"]["name"] == "Household"


async def test_deleting_removes_the_organization_for_every_member(client, app, settings):
    owner = await sign_up(client, "owner@example.com", org="Household")
    bob, bob_token = await join(
        client, app.state.runtime.queue, settings, owner, "bob@example.com", "ADMIN"
    )
    forbidden = await gql(client, DELETE, {"name": "Household"}, token=bob_token)
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    done = await gql(client, DELETE, {"name": "Household"}, token=owner.token)
    assert done["data"]["deleteOrganization"] == {
        "__typename": "DeleteOrganizationSuccess",
        "deletedOrganizationId": owner.org_id,
    }
    for token in (owner.token, bob_token):
        gone = await gql(client, "{ organization { name } }", token=token)
        assert gone["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # Bob still has his own organization: refreshing moves him there.
    refreshed = await gql(client, REFRESH, {"token": bob.refresh_token})
    assert refreshed["data"]["refreshToken"]["__typename"] == "AuthPayload"
    me = await gql(
        client,
        "{ me { organization { name } memberships { role } } }",
        token=refreshed["data"]["refreshToken"]["accessToken"],
    )
    assert me["data"]["me"] == {
        "organization": {"name": "bob@example.com home"},
        "memberships": [{"role": "OWNER"}],
    }
