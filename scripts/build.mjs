#!/usr/bin/env node
// Builds what `sam build` packages and what `landfall invoke` runs: the runtime layer's content, and one
// esbuild bundle per function with the same options template.yaml gives SAM (so a local bundle is the deployed one).
import { build } from 'esbuild';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { buildWasm } from './build-wasm.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** CloudFormation short tags (!Ref, !Sub, ...) read as plain values: only Metadata is needed here. */
const cfnTags = [
  'Ref',
  'Sub',
  'GetAtt',
  'If',
  'Join',
  'Select',
  'Split',
  'Equals',
  'Not',
  'And',
  'Or',
  'FindInMap',
  'ImportValue',
  'GetAZs',
  'Base64',
  'Cidr',
  'Condition',
].flatMap((name) =>
  ['scalar', 'seq', 'map'].map((collection) => ({
    tag: `!${name}`,
    collection: collection === 'scalar' ? undefined : collection,
    resolve: (v) => v,
  })),
);

export async function functionsFromTemplate() {
  const template = parse(await readFile(join(root, 'template.yaml'), 'utf8'), { customTags: cfnTags });
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Serverless::Function' && r.Metadata?.BuildMethod === 'esbuild')
    .map(([id, r]) => ({ id, handler: r.Properties.Handler, props: r.Metadata.BuildProperties }));
}

/**
 * Validates the layer's contracts now and writes them as `.compiled.json` beside them (src/contracts/
 * compiledContracts.ts): the functions read that instead of parsing YAML with zod at every cold start. The loader
 * is TypeScript: esbuild bundles it into a temporary module first. A contract that does not validate fails the build.
 */
async function compileContractsInto(dir) {
  // Beside node_modules, so that the loader's packages (yaml, zod) resolve as they do for the sources.
  const cache = join(root, 'node_modules', '.cache', 'landfall');
  await mkdir(cache, { recursive: true });
  const loader = join(cache, `contracts-loader-${process.pid}.mjs`);
  try {
    await build({
      entryPoints: [join(root, 'src', 'contracts', 'loadContracts.ts')],
      outfile: loader,
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'warning',
    });
    const { compileContracts } = await import(pathToFileURL(loader).href);
    await writeFile(join(dir, '.compiled.json'), JSON.stringify(await compileContracts(dir)));
  } finally {
    await rm(loader, { force: true });
  }
}

export async function buildLayer(layerDir = join(root, 'layers', 'runtime')) {
  await rm(join(layerDir, 'contracts'), { recursive: true, force: true });
  await mkdir(join(layerDir, 'contracts'), { recursive: true });
  for (const f of (await readdir(join(root, 'contracts'))).filter((f) => /\.ya?ml$/.test(f))) {
    await cp(join(root, 'contracts', f), join(layerDir, 'contracts', f));
  }
  await compileContractsInto(join(layerDir, 'contracts'));
  await mkdir(join(layerDir, 'wasm'), { recursive: true });
  const require = createRequire(import.meta.url);
  await cp(require.resolve('parquet-wasm/esm/parquet_wasm_bg.wasm'), join(layerDir, 'wasm', 'parquet_wasm_bg.wasm'));
  await cp(await buildWasm(), join(layerDir, 'wasm', 'csv.wasm'));
  // libzstd for Landfall's Parquet writer (built from wasm/zstd by scripts/build-zstd.mjs, committed).
  await cp(join(root, 'wasm', 'zstd', 'zstd.wasm'), join(layerDir, 'wasm', 'zstd.wasm'));
  // The Parquet encoder threads (Landfall's writer, and parquet-wasm's) run from the layer, self-contained; they
  // read the .wasm beside them (workerData).
  for (const [entry, out] of [
    [join(root, 'src', 'parquet', 'write', 'encoderWorker.ts'), 'landfall-encoder.worker.mjs'],
    [join(root, 'src', 'parquet', 'parquetEncoder.worker.mjs'), 'parquet-encoder.worker.mjs'],
  ]) {
    await build({
      entryPoints: [entry],
      outfile: join(layerDir, 'wasm', out),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      logLevel: 'warning',
    });
  }
  return layerDir;
}

export async function buildFunctions(dir = join(root, 'dist'), only) {
  const built = [];
  for (const fn of await functionsFromTemplate()) {
    if (only && !only.includes(fn.id)) continue;
    const p = fn.props;
    const ext = (p.OutExtension ?? []).map((s) => s.split('=')).find(([from]) => from === '.js')?.[1] ?? '.js';
    const banner = Object.fromEntries(
      (p.Banner ?? []).map((b) => [b.slice(0, b.indexOf('=')), b.slice(b.indexOf('=') + 1)]),
    );
    const outfile = join(dir, fn.id, `${fn.handler.split('.')[0]}${ext}`);
    await build({
      entryPoints: p.EntryPoints.map((e) => join(root, e)),
      outfile,
      bundle: true,
      platform: p.Platform ?? 'node',
      format: p.Format ?? 'cjs',
      target: p.Target,
      sourcemap: Boolean(p.Sourcemap),
      keepNames: Boolean(p.KeepNames),
      // As SAM: minified unless the template says `Minify: false`.
      minify: p.Minify !== false,
      external: p.External ?? [],
      banner,
      logLevel: 'warning',
    });
    built.push({ id: fn.id, outfile, handler: fn.handler });
  }
  return built;
}

// `node scripts/build.mjs [DIR]`: the layer into layers/runtime and the functions into DIR (default dist/).
// `node scripts/build.mjs --layer DIR`: only the layer, into DIR (layers/runtime/Makefile, for sam build).
if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  if (args[0] === '--layer') {
    if (!args[1]) throw new Error('usage: node scripts/build.mjs --layer DIR');
    console.log(`layer: ${await buildLayer(resolve(args[1]))}`);
  } else {
    const layer = await buildLayer();
    const fns = await buildFunctions(args[0] ? resolve(args[0]) : undefined);
    console.log(`layer: ${layer}`);
    for (const f of fns) console.log(`${f.id}: ${f.outfile}`);
  }
}
