from tests.graphql_client import gql, sign_up


async def test_sign_up_then_me(client):
    account = await sign_up(client, "ada@example.com")
    body = await gql(
        client, "{ me { role user { email } organization { name } } }", token=account.token
    )
    assert body == {
        "data": {
            "me": {
                "role": "OWNER",
                "user": {"email": "ada@example.com"},
                "organization": {"name": "Acme"},
            }
        }
    }
