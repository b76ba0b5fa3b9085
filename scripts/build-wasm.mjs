#!/usr/bin/env node
// Compiles the AssemblyScript CSV core (wasm/assembly/csv.ts) to wasm/build/csv.wasm. Run by `npm ci`/`npm install`
// (the prepare script), by `npm test` and by `npm run build`; the output is not committed. Skips the compile when
// the .wasm is newer than its source (pass --force to rebuild anyway).
import { writeBoundary } from './gen-boundary.mjs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'wasm', 'assembly', 'csv.ts');
const output = join(root, 'wasm', 'build', 'csv.wasm');

export async function buildWasm({ force = false } = {}) {
  // Both sides of the boundary first, from wasm/boundary.json (unchanged files are not rewritten).
  writeBoundary();
  if (!force) {
    // This script too: its compiler flags shape the module (an older build may not import its memory).
    const sources = [source, join(root, 'wasm', 'assembly', 'boundary.ts'), fileURLToPath(import.meta.url)];
    const [out, ...srcs] = await Promise.all([stat(output).catch(() => null), ...sources.map((f) => stat(f))]);
    const src = { mtimeMs: Math.max(...srcs.map((s) => s.mtimeMs)) };
    if (out && out.mtimeMs >= src.mtimeMs) return output;
  }
  await mkdir(dirname(output), { recursive: true });
  // Loaded only to compile: the compiler is a large bundle, and a loader such as tsx (the CLI's `landfall invoke`)
  // would spend seconds transforming it on every start.
  const { default: asc } = await import('assemblyscript/asc');
  const { error, stderr } = await asc.main([
    source,
    '-o',
    output,
    '-t',
    output.replace(/\.wasm$/, '.wat'),
    '-O3',
    '--runtime',
    'minimal',
    '--noAssert',
    '--enable',
    'simd',
    '--initialMemory',
    '4',
    // The memory comes from the instantiating side (src/decode/wasmCore.ts), which gives a finished decoder's memory
    // to the next one instead of mapping and faulting in a new one per file.
    '--importMemory',
  ]);
  if (error) {
    throw new Error(`AssemblyScript build of ${source} failed: ${error.message}\n${stderr.toString()}`);
  }
  return output;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = await buildWasm({ force: process.argv.includes('--force') });
  console.log(`csv core: ${out}`);
}
