"""Receipts over REST: uploads need the token, ledger:write and the custom header; the type
comes from the content; downloads go through short-lived signed links and never cross
organizations."""

from __future__ import annotations

import hashlib

from tests.api.test_ledger_api import POST, chart, entry_input
from tests.api.test_members import join
from tests.graphql_client import gql, sign_up

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"receipt" * 20
ATTACHMENTS = """query($id: ID!) { entryAttachments(entryId: $id) { id filename mediaType
  byteSize sha256 downloadUrl } }"""


async def posted_entry(client, account) -> str:
    codes = await chart(client, account)
    body = await gql(
        client, POST, entry_input(codes["5100"], codes["1010"], "9", "k"), token=account.token
    )
    return body["data"]["postJournalEntry"]["entry"]["id"]


async def upload(client, token, entry_id: str, data: bytes, *, name="receipt.png", header=True):
    headers = {"authorization": f"Bearer {token}", "content-type": "application/octet-stream"}
    if header:
        headers["x-fiscus-upload"] = "1"
    return await client.post(
        "/attachments",
        params={"entryId": entry_id, "filename": name},
        content=data,
        headers=headers,
    )


async def test_upload_list_download_and_delete(client):
    owner = await sign_up(client, "owner@example.com")
    entry_id = await posted_entry(client, owner)
    # The name says PNG; the content is a PDF: the content wins.
    response = await upload(client, owner.token, entry_id, PDF, name="../../etc/x.png")
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["mediaType"] == "application/pdf" and created["filename"] == "x.png"
    assert created["sha256"] == hashlib.sha256(PDF).hexdigest()
    listed = await gql(client, ATTACHMENTS, {"id": entry_id}, token=owner.token)
    (found,) = listed["data"]["entryAttachments"]
    assert found["byteSize"] == len(PDF)
    download = await client.get(
        found["downloadUrl"], headers={"authorization": f"Bearer {owner.token}"}
    )
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert (await client.get(found["downloadUrl"])).status_code == 401
    tampered = found["downloadUrl"][:-3] + "abc"
    assert (
        await client.get(tampered, headers={"authorization": f"Bearer {owner.token}"})
    ).status_code == 404
    deleted = await gql(
        client,
        """mutation($id: ID!) { deleteAttachment(input: {attachmentId: $id}) { __typename } }""",
        {"id": found["id"]},
        token=owner.token,
    )
    assert deleted["data"]["deleteAttachment"]["__typename"] == "DeleteAttachmentSuccess"
    gone = await client.get(
        found["downloadUrl"], headers={"authorization": f"Bearer {owner.token}"}
    )
    assert gone.status_code == 404


async def test_uploads_are_refused_without_the_header_by_content_and_by_role(client, app, settings):
    owner = await sign_up(client, "owner@example.com")
    entry_id = await posted_entry(client, owner)
    assert (await upload(client, owner.token, entry_id, PNG, header=False)).status_code == 400
    text = await upload(client, owner.token, entry_id, b"just text, named .pdf", name="a.pdf")
    assert (text.status_code, text.json()["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE")
    empty = await upload(client, owner.token, entry_id, b"")
    assert empty.status_code == 400
    big = await upload(client, owner.token, entry_id, PNG + b"\x00" * (10 * 1024 * 1024))
    assert (big.status_code, big.json()["code"]) == (413, "TOO_LARGE")
    _, viewer = await join(
        client, app.state.runtime.queue, settings, owner, "v@example.com", "ANALYST"
    )
    assert (await upload(client, viewer, entry_id, PNG)).status_code == 403
    assert (await upload(client, "nonsense", entry_id, PNG)).status_code == 401


async def test_another_organizations_entries_and_files_are_unreachable(client):
    a = await sign_up(client, "a@example.com", org="A")
    b = await sign_up(client, "b@example.com", org="B")
    entry_a, entry_b = await posted_entry(client, a), await posted_entry(client, b)
    # A file onto B's entry, from A: no such entry.
    smuggled = await upload(client, a.token, entry_b, PNG)
    assert (smuggled.status_code, smuggled.json()["code"]) == (404, "NOT_FOUND")
    own = (await upload(client, b.token, entry_b, PNG)).json()
    assert (await upload(client, a.token, entry_a, PNG)).status_code == 201  # the control
    seen = await gql(client, ATTACHMENTS, {"id": entry_b}, token=a.token)
    assert seen["data"]["entryAttachments"] == []
    node = await gql(
        client,
        "query($id: ID!) { node(id: $id) { __typename } }",
        {"id": own["id"]},
        token=a.token,
    )
    assert node == {"data": {"node": None}}
    listed = await gql(client, ATTACHMENTS, {"id": entry_b}, token=b.token)
    link = listed["data"]["entryAttachments"][0]["downloadUrl"]
    # B's link with A's token: not found (the link names B's organization).
    assert (
        await client.get(link, headers={"authorization": f"Bearer {a.token}"})
    ).status_code == 404
    deleted = await gql(
        client,
        """mutation($id: ID!) { deleteAttachment(input: {attachmentId: $id}) { __typename
          ... on UserError { code } } }""",
        {"id": own["id"]},
        token=a.token,
    )
    assert deleted["data"]["deleteAttachment"]["code"] == "NOT_FOUND"
    assert (
        await client.get(link, headers={"authorization": f"Bearer {b.token}"})
    ).status_code == 200
