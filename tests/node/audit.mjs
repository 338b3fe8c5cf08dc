// Runs the graphql-http server audit (every MUST, SHOULD and MAY of the
// GraphQL-over-HTTP spec it checks) against a live server and prints the
// results as JSON: { counts: { ok, warn, notice, error }, failures: [...] }.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs http://127.0.0.1:PORT/graphql');
  process.exit(2);
}
const results = await auditServer({ url });
const counts = { ok: 0, warn: 0, notice: 0, error: 0 };
const failures = [];
for (const r of results) {
  counts[r.status] = (counts[r.status] ?? 0) + 1;
  if (r.status !== 'ok') {
    failures.push({ id: r.id, name: r.name, status: r.status, reason: r.reason });
  }
}
console.log(JSON.stringify({ total: results.length, counts, failures }));
