/**
 * The built CLI (scripts/build-cli.mjs): bin/landfall.mjs runs an esbuild bundle instead of compiling TypeScript on
 * every start. In a copy of the sources (beside the checkout's node_modules): the bundle answers like the sources,
 * resolves the checkout's files from each module's own place, and a changed source makes the next start rebuild.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, readdir, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SHARED_DATA, tempDir } from './helpers.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

describe('the built CLI', () => {
  it('answers like the TypeScript, finds the checkout files from each module, and rebuilds when a source changes', async () => {
    // A space in the path: every path the command derives from a module's URL must survive it.
    const copy = await tempDir('landfall built cli ');
    for (const d of ['bin', 'scripts', 'src', 'contracts', 'wasm', 'statemachines'])
      await cp(join(REPO, d), join(copy, d), { recursive: true });
    for (const f of ['package.json', 'package-lock.json', 'template.yaml']) await cp(join(REPO, f), join(copy, f));
    // The checkout's packages, but a cache of the copy's own: a node_modules whose entries link to the checkout's.
    await mkdir(join(copy, 'node_modules'));
    for (const e of await readdir(join(REPO, 'node_modules')))
      if (e !== '.cache') await symlink(join(REPO, 'node_modules', e), join(copy, 'node_modules', e));
    const bin = join(copy, 'bin', 'landfall.mjs');
    const pointer = join(copy, 'node_modules', '.cache', 'landfall', 'cli.json');

    const built = await run(process.execPath, [bin, 'help']);
    const first = JSON.parse(await readFile(pointer, 'utf8')) as { dir: string };
    const viaTsx = await run(process.execPath, [bin, 'help'], { env: { ...process.env, LANDFALL_TSX: '1' } });
    expect(built.stdout).toBe(viaTsx.stdout);
    expect(built.stdout).toContain('landfall report [--lake DIR]');

    // A second start takes the same build; paths from import.meta.url reach the copy's contracts/ and template.yaml.
    const lake = await tempDir('landfall-built-cli-lake-');
    const q = await run(process.execPath, [bin, 'query', '--lake', lake, '--format', 'csv', "SELECT 'ok' AS answer"]);
    expect(q.stdout.trim()).toBe('answer\nok');
    // A conversion with an encoder thread (gzip input uses the configured threads: the machine's cores), whose
    // TypeScript is bundled from the copy's own src/ (a path with a space, once URL-encoded, broke it).
    const input = join(await tempDir('landfall-built-cli-in-'), 'train_sample.csv');
    await writeFile(input, gzipSync(await readFile(join(SHARED_DATA, 'adtech/talkingdata/train_sample.csv'))));
    const converted = await run(process.execPath, [bin, 'run', '--lake', lake, input]);
    expect(converted.stdout).toContain('rows read 100000, written 100000, rejected 0');
    expect(JSON.parse(await readFile(pointer, 'utf8')).dir).toBe(first.dir);
    // The function names come from the copy's template.yaml, read from src/cli/samTemplate.ts's own place.
    const invoke = await run(process.execPath, [bin, 'invoke', 'NoSuchFunction', '--lake', lake]).then(
      () => ({ stderr: 'exit 0' }),
      (err: { stderr: string }) => err,
    );
    expect(invoke.stderr).toContain('name one of IngestFunction, ConvertFunction, PlanFunction');

    // A source changed after the build: the next start builds again, in a folder of its own.
    const later = new Date();
    await utimes(join(copy, 'src', 'cli', 'format.ts'), later, later);
    await run(process.execPath, [bin, 'help']);
    const second = JSON.parse(await readFile(pointer, 'utf8')) as { dir: string };
    expect(second.dir).not.toBe(first.dir);
  }, 120_000);
});
