// Runs graphql-schema-linter over schema.graphql with the rules of
// .graphql-schema-linterrc (descriptions, Relay connections, naming; the
// ordering rules are off) and prints one JSON line: the problem count,
// the problems, and their counts per rule and per type.
//
// usage: node schema-lint.mjs [schema path, default ../../schema.graphql]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const cli = path.join(path.dirname(require.resolve('graphql-schema-linter/package.json')), 'lib', 'cli.js');
const args = [cli, '--format', 'json'];
if (process.argv[2]) args.push(process.argv[2]);
const run = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
let report;
try {
  report = JSON.parse(run.stdout);
} catch {
  console.error(run.stdout, run.stderr);
  console.log(JSON.stringify({ count: -1, error: `the linter printed no JSON (exit ${run.status})` }));
  process.exit(0);
}
// The type each line of the schema belongs to, for the per-type counts.
const schemaPath = process.argv[2] ?? path.join('..', '..', 'schema.graphql');
const owner = [];
let current = null;
for (const line of readFileSync(schemaPath, 'utf8').split('\n')) {
  const m = /^(?:type|input|enum|interface|union|scalar)\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(line);
  if (m) current = m[1];
  owner.push(current);
}
const problems = report.errors.map((e) => {
  const line = e.location?.line ?? null;
  // A type missing its description is reported at its own first line.
  const named = /^The [a-z ]*type `([A-Za-z_][A-Za-z0-9_]*)`/.exec(e.message);
  return { rule: e.rule, line, type: named ? named[1] : owner[(line ?? 1) - 1] ?? null, message: e.message };
});
const tally = (key) =>
  problems.reduce((acc, p) => ({ ...acc, [p[key] ?? '?']: (acc[p[key] ?? '?'] ?? 0) + 1 }), {});
console.log(JSON.stringify({ count: problems.length, byRule: tally('rule'), byType: tally('type'), problems }));
