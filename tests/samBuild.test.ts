import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { readTemplate, type Template } from '#src/cli/samTemplate.ts';
import { readCompiledContracts } from '#src/contracts/compiledContracts.ts';
import { loadContracts } from '#src/contracts/loadContracts.ts';
import { tempDir } from './helpers.ts';
import {
  copyCommittable,
  invokeSamples,
  listFiles,
  samBuildFunctions,
  samBuildLayer,
  type BuiltFunction,
} from './samBuildReplay.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));

describe('sam build, replayed on a copy of the committed tree (npm install --production, esbuild from it, the layer by make)', () => {
  let t: Template;
  let built: BuiltFunction[];
  let layer: string;
  let scratch: string;
  const results = new Map<string, unknown>();

  beforeAll(async () => {
    const work = await tempDir('landfall-sam-build-');
    const source = join(work, 'checkout');
    await copyCommittable(REPO, source);
    // The checkout's `npm ci` (the README's first deploy step); the functions' builds never see it.
    await symlink(join(REPO, 'node_modules'), join(source, 'node_modules'));
    t = await readTemplate(join(source, 'template.yaml'));
    scratch = join(work, 'scratch-functions');
    built = await samBuildFunctions(t, source, join(work, 'build'), scratch);
    layer = await samBuildLayer(t, 'RuntimeLayer', source, join(work, 'build'), join(work, 'scratch-layer'));

    for (const [id, r] of await invokeSamples(built, t, layer, work)) results.set(id, r);
  }, 300_000);

  it('builds every function of the template, with the esbuild the production install brought', () => {
    expect(built.map((f) => f.id).sort()).toEqual(
      Object.entries(t.Resources)
        .filter(([, r]) => r.Type === 'AWS::Serverless::Function')
        .map(([id]) => id)
        .sort(),
    );
    for (const f of built) expect(f.esbuild.startsWith(join(scratch, 'node_modules'))).toBe(true);
  });

  it('leaves a bundle and its source map per function, and no node_modules', async () => {
    for (const f of built) expect(await listFiles(f.dir)).toEqual(['handler.mjs', 'handler.mjs.map']);
  });

  it('fills the layer with the contracts (compiled too), the WebAssembly modules and both encoder threads', async () => {
    const files = await listFiles(layer);
    const contracts = (await listFiles(join(REPO, 'contracts'))).filter((f) => /\.ya?ml$/.test(f));
    expect(files).toEqual(
      [
        ...contracts.map((c) => `contracts/${c}`),
        'contracts/.compiled.json',
        'wasm/csv.wasm',
        'wasm/landfall-encoder.worker.mjs',
        'wasm/parquet-encoder.worker.mjs',
        'wasm/parquet_wasm_bg.wasm',
        'wasm/zstd.wasm',
      ].sort(),
    );
    // Current: the functions read it instead of the YAML (their bundles cannot read YAML).
    expect((await readCompiledContracts(join(layer, 'contracts')))?.map((c) => c.dataset)).toEqual(
      (await loadContracts(join(REPO, 'contracts'))).map((c) => c.dataset),
    );
  });

  it('each built handler, with the built layer as /opt, answers its sample event', () => {
    expect(results.get('IngestFunction')).toMatchObject([{ status: 'published', dataset: 'olist_orders' }]);
    expect(results.get('ConvertFunction')).toMatchObject({
      status: 'published',
      manifestKey: 'manifests/olist_orders/b114aa6e6951410800c29.json',
    });
    expect(results.get('PlanFunction')).toEqual({ lead: true });
    expect(results.get('FreshnessFunction')).toEqual([]);
    const ingest = (results.get('IngestFunction') as { rowsWritten: number; rowsRejected: number }[])[0];
    expect(ingest.rowsWritten + ingest.rowsRejected).toBeGreaterThan(0);
  });
});
