// Subscribes several graphql-ws clients to ticketMessageAdded of one ticket,
// prints READY once every subscription is live (each has seen the probe
// message the test posts), then collects messages until each client saw
// `until` or 10 s pass, and prints JSON: { name: [bodies...] }.
// Usage: node ticket-subscribers.mjs '<json config>'
//   config = { ticketId, probe, until, clients: [{ name, url, token }] }
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import readline from 'node:readline';

const config = JSON.parse(process.argv[2]);
const received = Object.fromEntries(config.clients.map((c) => [c.name, []]));
const probed = new Set();
const done = new Set();
let ready = false;
const sockets = [];

const finish = async () => {
  console.log(JSON.stringify(received));
  await Promise.all(sockets.map((s) => s.dispose()));
  process.exit(0);
};

for (const c of config.clients) {
  const client = createClient({
    url: c.url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${c.token}` },
  });
  sockets.push(client);
  client.subscribe(
    {
      query: 'subscription($t: ID!) { ticketMessageAdded(ticketId: $t) { body isInternal } }',
      variables: { t: config.ticketId },
    },
    {
      next: ({ data, errors }) => {
        if (errors) {
          received[c.name].push(`ERROR ${errors[0].message}`);
          return;
        }
        const body = data.ticketMessageAdded.body;
        if (body === config.probe) {
          probed.add(c.name);
          if (!ready && probed.size === config.clients.length) {
            ready = true;
            console.log('READY');
          }
          return;
        }
        received[c.name].push(body);
        if (body === config.until) {
          done.add(c.name);
          if (done.size === config.clients.length) finish();
        }
      },
      error: (err) => {
        received[c.name].push(`ERROR ${String(err?.message ?? err)}`);
      },
      complete: () => {},
    },
  );
}
console.log('SUBSCRIBED');
// The test posts probes until READY (a subscription is live once it sees one).
readline.createInterface({ input: process.stdin });
setTimeout(finish, 20000);
