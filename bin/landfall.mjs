#!/usr/bin/env node
// `npx landfall` straight from a checkout. It runs the CLI built by esbuild (scripts/build-cli.mjs) when that is
// newer than every source file, and builds it first when a source changed; LANDFALL_TSX=1 (or a failed build)
// runs the TypeScript in place through tsx instead.
import { buildCli, freshCliEntry } from '../scripts/build-cli.mjs';

async function loadMain() {
  if (process.env.LANDFALL_TSX !== '1') {
    try {
      const entry = freshCliEntry() ?? (await buildCli());
      return (await import(entry)).main;
    } catch (err) {
      process.stderr.write(
        `landfall: the CLI could not be built (${err.message}); running the TypeScript through tsx\n`,
      );
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  return (await import('../src/cli/main.ts')).main;
}

process.exitCode = await (await loadMain())(process.argv.slice(2));
