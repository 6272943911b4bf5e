"""Identity and tenancy use cases: accounts, sessions, organizations, members, audit."""
