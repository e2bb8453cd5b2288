// The GraphQL over HTTP spec's audit (graphql-http's auditServer) against a running gateway:
// prints one JSON line per audit with its id, name, status (ok, warn, error) and reason.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
const results = await auditServer({ url });
for (const r of results) {
  const line = { id: r.id, name: r.name, status: r.status };
  if (r.status !== 'ok') line.reason = r.reason;
  console.log(JSON.stringify(line));
}
