#!/usr/bin/env node
// The npm registry reachable here serves only the linux builds of platform-specific optional packages
// (@duckdb/node-bindings-darwin-arm64 answers 404), so `npm install` leaves the others out of
// package-lock.json and `npm ci` then refuses the lock file as out of sync. This adds the missing entries
// with their os/cpu/libc constraints; npm ci skips them on linux without fetching anything.
// Run after every `npm install` that touches the lock file.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const added = [];
for (const [key, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const target = `node_modules/${name}`;
    if (lock.packages[target]) continue;
    const m = /-(darwin|linux|win32)-(x64|arm64)(-musl)?$/.exec(name);
    if (!m) continue;
    lock.packages[target] = {
      version,
      cpu: [m[2]],
      license: 'MIT',
      optional: true,
      os: [m[1]],
      ...(m[1] === 'linux' ? { libc: [m[3] ? 'musl' : 'glibc'] } : {}),
    };
    added.push(`${target} (for ${key})`);
  }
}
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length ? `added:\n  ${added.join('\n  ')}` : 'lock file complete');
