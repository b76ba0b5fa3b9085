/**
 * `npm ci` runs scripts/prepare.mjs: in a checkout (devDependencies installed) it must compile the CSV core and build
 * the CLI, or the README's `npm ci && npm start` fails (or starts slowly) on a fresh clone; in a production install
 * (sam build) it must skip.
 */
import { execFile } from 'node:child_process';
import { copyFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));

/** prepare.mjs in a folder of its own, with a stand-in compiler step, beside the checkout's modules or none. */
async function prepareIn(withModules: boolean): Promise<string> {
  const dir = await tempDir('landfall-prepare-');
  await copyFile(join(REPO, 'scripts/prepare.mjs'), join(dir, 'prepare.mjs'));
  await writeFile(join(dir, 'build-wasm.mjs'), "export async function buildWasm() { return 'compiled'; }\n");
  await writeFile(join(dir, 'build-cli.mjs'), "export async function buildCli() { return 'built'; }\n");
  if (withModules) await symlink(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  const { stdout } = await promisify(execFile)(process.execPath, [join(dir, 'prepare.mjs')], { cwd: dir });
  return stdout.trim();
}

describe('npm prepare', () => {
  it('compiles the CSV core where AssemblyScript is installed (a checkout after npm ci)', async () => {
    expect(await prepareIn(true)).toBe('csv core: compiled\nlandfall CLI: built');
  });

  it('skips it, saying why, in a production install without AssemblyScript (sam build)', async () => {
    expect(await prepareIn(false)).toMatch(/^landfall: production install \(no AssemblyScript\)/);
  });
});
