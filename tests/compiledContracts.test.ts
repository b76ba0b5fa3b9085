/**
 * Contracts compiled at build time (src/contracts/compiledContracts.ts): the runtime layer carries them validated, so
 * a Lambda function neither parses YAML nor loads zod on a cold start.
 */
import { build } from 'esbuild';
import { cp, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMPILED_CONTRACTS, contractsIn, readCompiledContracts } from '#src/contracts/compiledContracts.ts';
import { cachedContracts } from '#src/contracts/contractCache.ts';
import { compileContracts, loadContracts } from '#src/contracts/loadContracts.ts';
import { BUILTIN_CONTRACTS } from '#src/wiring/local.ts';
import { tempDir } from './helpers.ts';

async function contractsCopy(): Promise<string> {
  const dir = await tempDir('landfall-contracts-');
  await cp(BUILTIN_CONTRACTS, dir, { recursive: true });
  return dir;
}

describe('compiled contracts', () => {
  it('hold what loadContracts reads, and are used only while every file is unchanged', async () => {
    const dir = await contractsCopy();
    expect(await readCompiledContracts(dir)).toBeNull();
    await writeFile(join(dir, COMPILED_CONTRACTS), JSON.stringify(await compileContracts(dir)));
    const yaml = await loadContracts(dir); // the hidden compiled file is not read as a contract
    expect(yaml.length).toBe(13);
    expect(await readCompiledContracts(dir)).toEqual(yaml);
    expect(await contractsIn(dir)).toEqual(yaml);

    // An edited file: the compiled contracts are stale, and the YAML is read.
    const file = join(dir, 'ad_clicks.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('maxRejectRatio: 0.001', 'maxRejectRatio: 0.05'));
    expect(await readCompiledContracts(dir)).toBeNull();
    expect((await contractsIn(dir)).find((c) => c.dataset === 'ad_clicks')?.quality.maxRejectRatio).toBe(0.05);
    // A file added after compiling: stale too.
    await writeFile(join(dir, COMPILED_CONTRACTS), JSON.stringify(await compileContracts(dir)));
    await cp(join(dir, 'ad_clicks.yaml'), join(dir, 'ad_clicks_copy.yaml'));
    expect(await readCompiledContracts(dir)).toBeNull();
  });

  it("local commands keep them in the lake folder, read again after any edit, with a broken file's error", async () => {
    const dir = await contractsCopy();
    const cache = join(await tempDir('landfall-lake-'), '.cache', 'contracts.compiled.json');
    const yaml = await loadContracts(dir);
    expect(await cachedContracts(dir, cache)).toEqual(yaml);
    const written = (await stat(cache)).mtimeMs;
    // Unchanged files: the cache as it was (not written again), its contracts what the YAML says.
    expect(await cachedContracts(dir, cache)).toEqual(yaml);
    expect((await stat(cache)).mtimeMs).toBe(written);
    expect(await readCompiledContracts(dir, cache)).toEqual(yaml);
    // An edit: read from the YAML again (and cached again).
    const file = join(dir, 'ad_clicks.yaml');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('maxRejectRatio: 0.001', 'maxRejectRatio: 0.05'));
    expect((await cachedContracts(dir, cache)).find((c) => c.dataset === 'ad_clicks')?.quality.maxRejectRatio).toBe(
      0.05,
    );
    expect(await readCompiledContracts(dir, cache)).not.toBeNull();
    // A broken file fails as it would without a cache, naming the file.
    await writeFile(file, text.replace('type: int32', 'type: int33'));
    await expect(cachedContracts(dir, cache)).rejects.toThrow(/ad_clicks\.yaml/);
    // A damaged cache is written again; one that cannot be written (its folder would be under a file): the contracts
    // all the same.
    await writeFile(file, text);
    await writeFile(cache, '{"version": 1, "fi');
    expect(await cachedContracts(dir, cache)).toEqual(yaml);
    expect(await readCompiledContracts(dir, cache)).toEqual(yaml);
    expect(await cachedContracts(dir, join(file, '.cache', 'contracts.compiled.json'))).toEqual(yaml);
  });

  it('a bundle carries neither zod nor yaml, and without current compiled contracts says what to do', async () => {
    const out = join(await tempDir('landfall-bundle-'), 'compiled.mjs');
    const result = await build({
      entryPoints: [join(BUILTIN_CONTRACTS, '..', 'src', 'contracts', 'compiledContracts.ts')],
      outfile: out,
      bundle: true,
      platform: 'node',
      format: 'esm',
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((f) => /node_modules\/(zod|yaml)\//.test(f))).toEqual([]);
    const bundled = (await import(pathToFileURL(out).href)) as typeof import('#src/contracts/compiledContracts.ts');
    const dir = await contractsCopy();
    await expect(bundled.contractsIn(dir)).rejects.toThrow(
      `the contracts in ${dir} have no current .compiled.json and this build cannot read YAML contracts: build the runtime layer again`,
    );
    await writeFile(join(dir, COMPILED_CONTRACTS), JSON.stringify(await compileContracts(dir)));
    expect((await bundled.contractsIn(dir)).map((c) => c.dataset)).toContain('olist_orders');
  });
});
