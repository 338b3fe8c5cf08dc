// The happy path of graphql-transport-ws with the reference client
// (graphql-ws): connect with credentials in connection_init, run a query
// over the socket, take a few events of a subscription, then stop it.
// Prints JSON with what was received.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, token] = process.argv.slice(2);
const acked = [];
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  lazy: false,
  retryAttempts: 0,
  connectionParams: token ? { authorization: `Bearer ${token}` } : {},
  on: { connected: (_socket, payload) => acked.push(payload ?? null) },
});

function collect(payload, limit) {
  return new Promise((resolve, reject) => {
    const items = [];
    let unsubscribe = () => {};
    unsubscribe = client.subscribe(payload, {
      next: (value) => {
        items.push(value);
        if (limit && items.length >= limit) {
          unsubscribe();
          resolve(items);
        }
      },
      error: (err) => reject(err instanceof Error ? err : new Error(JSON.stringify(err))),
      complete: () => resolve(items),
    });
  });
}

try {
  const query = await collect({ query: 'query Version { apiVersion }' });
  const beats = await collect(
    { query: 'subscription Beat($s: Int!) { heartbeat(everySeconds: $s) { sequence instanceId at } }', variables: { s: 1 } },
    2,
  );
  const invalid = await collect({ query: '{ noSuchField }' }).then(
    () => null,
    (err) => String(err.message ?? err),
  );
  console.log(JSON.stringify({ acked: acked.length, query, beats, invalid }));
  await client.dispose();
  process.exit(0);
} catch (err) {
  console.error(String(err?.stack ?? err));
  await client.dispose();
  process.exit(1);
}
