// Subscribes with the reference graphql-ws client (the one GraphiQL uses), prints each
// event as a JSON line, and exits after the given number of events.
// usage: node subscribe.mjs WS_URL TOKEN QUERY COUNT
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, token, query, count] = process.argv.slice(2);
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${token}` },
  retryAttempts: 0,
  on: { connected: () => console.log(JSON.stringify({ connected: true })) },
});
let seen = 0;
try {
  for await (const event of client.iterate({ query })) {
    console.log(JSON.stringify(event));
    if (++seen >= Number(count)) break;
  }
} finally {
  await client.dispose();
}
