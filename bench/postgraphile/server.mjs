// PostGraphile v4, one process: the peer of bench/portfolio_dashboard.py.
// Usage: node server.mjs PORT DATABASE_URL(app role) JWT_SECRET
//
// It connects as fiscus's app role (no superuser, no BYPASSRLS), so the tables' forced
// row-level security applies; every request verifies fiscus's access token (HS256, issuer,
// audience, type "access") and runs in a transaction with the same tenant settings fiscus
// sets (app.org_id, app.user_id) through pgSettings. The computed columns and the
// holding -> instrument relation are SQL written into the bench database by
// postgraphile_schema.sql (see bench/portfolio_dashboard.py).
import { createServer } from "node:http";
import jwt from "jsonwebtoken";
import pg from "pg";
import { postgraphile } from "postgraphile";

const [port, databaseUrl, secret] = process.argv.slice(2);
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });

function claimsOf(req) {
  const header = req.headers.authorization || "";
  if (!header) return null; // anonymous: no tenant context, row-level security shows nothing
  const [scheme, token] = header.split(" ");
  if (scheme?.toLowerCase() !== "bearer" || !token) throw new Error("no bearer token");
  const claims = jwt.verify(token, secret, {
    algorithms: ["HS256"],
    issuer: "fiscus",
    audience: "fiscus-api",
  });
  if (claims.typ !== "access") throw new Error("not an access token");
  return claims;
}

const middleware = postgraphile(pool, "public", {
  dynamicJson: true,
  disableDefaultMutations: true,
  ignoreRBAC: false,
  setofFunctionsContainNulls: false,
  disableQueryLog: true,
  graphiql: false,
  enableQueryBatching: false,
  retryOnInitFail: false,
  pgSettings: async (req) => {
    const claims = claimsOf(req);
    return claims ? { "app.org_id": claims.org, "app.user_id": claims.sub } : {};
  },
});

createServer(middleware).listen(Number(port), "127.0.0.1");
