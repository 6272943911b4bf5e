// graphql-ws + graphql-js, one process: priceUpdates(symbols) fed from fiscus's Redis channels.
// Usage: node server.mjs PORT REDIS_URL PREFIX
// Each subscription runs graphql-js's own execution per socket (the ordinary graphql-ws path).
import { createServer } from "node:http";
import { WebSocketServer } from "ws";
import { useServer } from "graphql-ws/use/ws";
import { buildSchema } from "graphql";
import { createClient } from "redis";

const [port, redisUrl, prefix] = process.argv.slice(2);

const schema = buildSchema(`
  type Query { ok: Boolean }
  type PriceTick {
    symbol: String!
    price: String!
    change: String
    changePercent: String
    dayVolume: Float
    at: String!
    seq: Int!
  }
  type Subscription { priceUpdates(symbols: [String!]!): PriceTick! }
`);

const subscriber = createClient({ url: redisUrl });
await subscriber.connect();
const snapshots = createClient({ url: redisUrl });
await snapshots.connect();

// symbol -> set of listeners; one Redis subscription per symbol, as fiscus's hub does.
const listeners = new Map();

async function watch(symbol, listener) {
  let set = listeners.get(symbol);
  if (!set) {
    set = new Set();
    listeners.set(symbol, set);
    await subscriber.subscribe(`${prefix}:ch:price:${symbol}`, (message) => {
      const envelope = JSON.parse(message);
      const tick = { ...envelope.payload, seq: envelope.seq };
      for (const fn of listeners.get(symbol) ?? []) fn(tick);
    });
  }
  set.add(listener);
}

function unwatch(symbol, listener) {
  const set = listeners.get(symbol);
  if (!set) return;
  set.delete(listener);
  if (set.size === 0) {
    listeners.delete(symbol);
    subscriber.unsubscribe(`${prefix}:ch:price:${symbol}`);
  }
}

// A bounded async iterator over several symbols: latest value per symbol while unread.
function priceIterator(symbols) {
  const pending = new Map();
  let wake = null;
  let done = false;
  const listener = (tick) => {
    pending.delete(tick.symbol);
    pending.set(tick.symbol, tick);
    if (wake) { const w = wake; wake = null; w(); }
  };
  const ready = (async () => {
    for (const s of symbols) await watch(s, listener);
    const raws = await snapshots.mGet(symbols.map((s) => `${prefix}:snapshot:price:${s}`));
    raws.forEach((raw) => {
      if (raw) { const e = JSON.parse(raw); listener({ ...e.payload, seq: e.seq }); }
    });
  })();
  return {
    [Symbol.asyncIterator]() { return this; },
    async next() {
      await ready;
      while (!done && pending.size === 0) await new Promise((r) => { wake = r; });
      if (done) return { value: undefined, done: true };
      const [key, tick] = pending.entries().next().value;
      pending.delete(key);
      return { value: { priceUpdates: tick }, done: false };
    },
    async return() {
      done = true;
      for (const s of symbols) unwatch(s, listener);
      if (wake) wake();
      return { value: undefined, done: true };
    },
  };
}

const roots = { priceUpdates: ({ symbols }) => priceIterator(symbols.map((s) => s.toUpperCase())) };

const server = createServer();
const wss = new WebSocketServer({ server, path: "/graphql" });
useServer(
  {
    schema,
    roots: { subscription: roots },
    onConnect: (ctx) => Boolean(ctx.connectionParams?.authorization),
  },
  wss,
);
server.listen(Number(port), "127.0.0.1", () => console.log("listening"));
