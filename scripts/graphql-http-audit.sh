#!/usr/bin/env bash
# Run the GraphQL-over-HTTP audit suite (npm package graphql-http, `auditServer`) against a
# local HEMS on the embedded default. Needs Node.js and npm; installs the package into a
# temporary folder (not part of the test suite, which fetches nothing at run time).
# Prints every audit that is not ok, then the counts as JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
(cd "$work" && npm init -y >/dev/null && npm install --silent graphql-http@1 graphql@16 >/dev/null)
cat >"$work/audit.mjs" <<'JS'
import { auditServer } from 'graphql-http';
const results = await auditServer({ url: process.argv[2] });
const counts = { ok: 0, warn: 0, error: 0 };
for (const r of results) {
  counts[r.status]++;
  if (r.status !== 'ok') console.log(r.status, r.id, r.name, r.reason ?? '');
}
console.log(JSON.stringify(counts));
process.exit(counts.ok === results.length ? 0 : 1);
JS
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
HEMS_ENV=development DATABASE_URL="sqlite+aiosqlite:///$work/hems.db" \
  JWT_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(32))') \
  uv run hems serve --port "$port" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 1; done
(cd "$work" && node audit.mjs "http://127.0.0.1:$port/graphql")
