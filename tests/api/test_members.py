"""Invitations, roles, removal and ownership, through the API."""

from __future__ import annotations

from fiscus.runtime import queue_name
from tests.graphql_client import PASSWORD, gql, log_in, sign_up

INVITE = """
mutation Invite($email: String!, $role: Role!) {
  inviteMember(input: {email: $email, role: $role}) {
    __typename
    ... on InviteMemberSuccess { invitation { id email role invitedBy { email } } }
    ... on UserError { code field message }
  }
}
"""
ACCEPT = """
mutation Accept($token: String!) {
  acceptInvitation(input: {token: $token}) {
    __typename
    ... on AcceptInvitationSuccess { role organization { id name } }
    ... on UserError { code field message }
  }
}
"""
SWITCH = """
mutation Switch($id: ID!) {
  switchOrganization(input: {organizationId: $id}) {
    __typename ... on AuthPayload { accessToken role organization { name } }
    ... on UserError { code field }
  }
}
"""
CHANGE_ROLE = """
mutation Change($user: ID!, $role: Role!) {
  changeMemberRole(input: {userId: $user, role: $role}) {
    __typename ... on ChangeMemberRoleSuccess { member { role user { email } } }
    ... on UserError { code field message }
  }
}
"""
REMOVE = """
mutation Remove($user: ID!) {
  removeMember(input: {userId: $user}) {
    __typename ... on RemoveMemberSuccess { removedUserId }
    ... on UserError { code field message }
  }
}
"""
TRANSFER = """
mutation Transfer($user: ID!) {
  transferOwnership(input: {userId: $user}) {
    __typename ... on TransferOwnershipSuccess { newOwner { role user { email } } }
    ... on UserError { code field message }
  }
}
"""
MEMBERS = """{ organization { name members(first: 50) {
  totalCount edges { node { role user { email } } } } } }"""


async def invitation_token(queue, settings, email: str) -> str:
    """The token from the invitation email waiting in the job queue."""
    jobs = await queue.queued_jobs(queue_name=queue_name(settings))
    bodies = [j.kwargs["body"] for j in jobs if j.kwargs.get("to") == email]
    assert bodies, jobs
    return next(w for w in bodies[-1].split() if w.startswith("inv_"))


async def join(client, queue, settings, owner, email: str, role: str):
    """Invite ``email`` into owner's organization, sign them up and accept; returns
    (account, token acting in owner's organization)."""
    invited = await gql(client, INVITE, {"email": email, "role": role}, token=owner.token)
    assert invited["data"]["inviteMember"]["__typename"] == "InviteMemberSuccess", invited
    token = await invitation_token(queue, settings, email)
    account = await sign_up(client, email, org=f"{email} home")
    accepted = await gql(client, ACCEPT, {"token": token}, token=account.token)
    assert accepted["data"]["acceptInvitation"]["role"] == role
    switched = await gql(client, SWITCH, {"id": owner.org_id}, token=account.token)
    return account, switched["data"]["switchOrganization"]["accessToken"]


async def test_invite_accept_switch_and_list_members(client, app, settings):
    owner = await sign_up(client, "owner@example.com")
    _, bob_token = await join(
        client, app.state.runtime.queue, settings, owner, "bob@example.com", "MEMBER"
    )
    body = await gql(client, MEMBERS, token=bob_token)
    members = body["data"]["organization"]["members"]
    assert members["totalCount"] == 2
    assert [(e["node"]["user"]["email"], e["node"]["role"]) for e in members["edges"]] == [
        ("owner@example.com", "OWNER"),
        ("bob@example.com", "MEMBER"),
    ]
    me = await gql(
        client, "{ me { role memberships { role organization { name } } } }", token=bob_token
    )
    assert me["data"]["me"]["role"] == "MEMBER"
    assert sorted(
        (m["organization"]["name"], m["role"]) for m in me["data"]["me"]["memberships"]
    ) == [("Acme", "MEMBER"), ("bob@example.com home", "OWNER")]


async def test_invitation_rules(client, app, settings):
    owner = await sign_up(client, "owner@example.com")
    owner_invite = await gql(
        client, INVITE, {"email": "x@example.com", "role": "OWNER"}, token=owner.token
    )
    assert owner_invite["data"]["inviteMember"]["code"] == "INVALID_ROLE"
    bad_email = await gql(
        client, INVITE, {"email": "not-an-email", "role": "MEMBER"}, token=owner.token
    )
    assert bad_email["data"]["inviteMember"]["field"] == "input.email"
    ok = await gql(client, INVITE, {"email": "x@example.com", "role": "VIEWER"}, token=owner.token)
    assert ok["data"]["inviteMember"]["invitation"]["invitedBy"]["email"] == "owner@example.com"
    twice = await gql(
        client, INVITE, {"email": "X@example.com", "role": "VIEWER"}, token=owner.token
    )
    assert twice["data"]["inviteMember"]["code"] == "ALREADY_INVITED"
    self_invite = await gql(
        client, INVITE, {"email": "owner@example.com", "role": "ADMIN"}, token=owner.token
    )
    assert self_invite["data"]["inviteMember"]["code"] == "ALREADY_MEMBER"

    token = await invitation_token(app.state.runtime.queue, settings, "x@example.com")
    stranger = await sign_up(client, "stranger@example.com")
    wrong_person = await gql(client, ACCEPT, {"token": token}, token=stranger.token)
    assert wrong_person["data"]["acceptInvitation"]["code"] == "EMAIL_MISMATCH"
    forged = await gql(client, ACCEPT, {"token": token[:-4] + "abcd"}, token=stranger.token)
    assert forged["data"]["acceptInvitation"]["code"] == "TOKEN_INVALID"
    invited = await sign_up(client, "x@example.com")
    first = await gql(client, ACCEPT, {"token": token}, token=invited.token)
    assert first["data"]["acceptInvitation"]["role"] == "VIEWER"
    second = await gql(client, ACCEPT, {"token": token}, token=invited.token)
    assert second["data"]["acceptInvitation"]["code"] == "ALREADY_USED"


async def test_role_change_and_removal_apply_on_the_next_request(client, app, settings):
    owner = await sign_up(client, "owner@example.com")
    bob, bob_token = await join(
        client, app.state.runtime.queue, settings, owner, "bob@example.com", "ADMIN"
    )
    assert (await gql(client, MEMBERS, token=bob_token))["data"]["organization"]
    changed = await gql(
        client, CHANGE_ROLE, {"user": bob.user_id, "role": "VIEWER"}, token=owner.token
    )
    assert changed["data"]["changeMemberRole"]["member"]["role"] == "VIEWER"
    demoted = await gql(client, MEMBERS, token=bob_token)  # same (old) access token
    assert demoted["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    me = await gql(client, "{ me { role } }", token=bob_token)
    assert me["data"]["me"]["role"] == "VIEWER"

    removed = await gql(client, REMOVE, {"user": bob.user_id}, token=owner.token)
    assert removed["data"]["removeMember"]["removedUserId"] == bob.user_id
    gone = await gql(client, "{ me { role } }", token=bob_token)
    assert gone["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    listing = await gql(client, MEMBERS, token=owner.token)
    assert listing["data"]["organization"]["members"]["totalCount"] == 1


async def test_the_owner_is_protected_and_admins_cannot_escalate(client, app, settings):
    owner = await sign_up(client, "owner@example.com")
    admin, admin_token = await join(
        client, app.state.runtime.queue, settings, owner, "admin@example.com", "ADMIN"
    )
    demote_owner = await gql(
        client, CHANGE_ROLE, {"user": owner.user_id, "role": "VIEWER"}, token=admin_token
    )
    assert demote_owner["data"]["changeMemberRole"]["code"] == "OWNER_PROTECTED"
    remove_owner = await gql(client, REMOVE, {"user": owner.user_id}, token=admin_token)
    assert remove_owner["data"]["removeMember"]["code"] == "OWNER_PROTECTED"
    transfer = await gql(client, TRANSFER, {"user": admin.user_id}, token=admin_token)
    assert transfer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    unknown = await gql(client, REMOVE, {"user": "VXNlcjpub3Bl"}, token=owner.token)
    assert unknown["data"]["removeMember"]["code"] == "INVALID_ID"


async def test_transfer_ownership_keeps_exactly_one_owner(client, app, settings):
    owner = await sign_up(client, "owner@example.com")
    bob, bob_token = await join(
        client, app.state.runtime.queue, settings, owner, "bob@example.com", "MEMBER"
    )
    result = await gql(client, TRANSFER, {"user": bob.user_id}, token=owner.token)
    assert result["data"]["transferOwnership"]["newOwner"] == {
        "role": "OWNER",
        "user": {"email": "bob@example.com"},
    }
    body = await gql(client, MEMBERS, token=bob_token)
    roles = {
        e["node"]["user"]["email"]: e["node"]["role"]
        for e in body["data"]["organization"]["members"]["edges"]
    }
    assert roles == {"owner@example.com": "ADMIN", "bob@example.com": "OWNER"}
    again = await gql(client, TRANSFER, {"user": bob.user_id}, token=owner.token)
    assert again["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_create_organization_and_switch(client):
    ada = await sign_up(client, "ada@example.com")
    created = await gql(
        client,
        """mutation { createOrganization(input: {name: "Side Project"}) {
        __typename ... on CreateOrganizationSuccess { organization { id name } } } }""",
        token=ada.token,
    )
    org = created["data"]["createOrganization"]["organization"]
    switched = await gql(client, SWITCH, {"id": org["id"]}, token=ada.token)
    payload = switched["data"]["switchOrganization"]
    assert (payload["role"], payload["organization"]["name"]) == ("OWNER", "Side Project")
    empty = await gql(
        client,
        """mutation { createOrganization(input: {name: "  "}) {
        __typename ... on UserError { code field } } }""",
        token=ada.token,
    )
    assert empty["data"]["createOrganization"] == {
        "__typename": "ValidationError",
        "code": "REQUIRED",
        "field": "input.name",
    }
    other = await sign_up(client, "other@example.com", org="Other")
    foreign = await gql(client, SWITCH, {"id": other.org_id}, token=ada.token)
    assert foreign["data"]["switchOrganization"]["code"] == "NOT_FOUND"


async def test_log_in_into_a_chosen_organization(client, app, settings):
    owner = await sign_up(client, "owner@example.com")
    await join(client, app.state.runtime.queue, settings, owner, "bob@example.com", "ANALYST")
    result = await log_in(client, "bob@example.com", PASSWORD, organization_id=owner.org_id)
    assert (result["role"], result["organization"]["name"]) == ("ANALYST", "Acme")
