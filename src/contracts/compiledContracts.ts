/**
 * Contracts compiled at build time. The runtime layer's build validates the contracts folder once (YAML, zod, the
 * checks of loadContracts.ts) and writes the result beside the files as `.compiled.json`, with a hash of each
 * file; a Lambda function reads that JSON instead of parsing YAML and loading zod on every cold start (about 90 ms
 * and 600 KB of bundle). Files that differ from the hashes (a folder edited after the build) are read as YAML.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Contract } from './contract.ts';

/** The compiled contracts' file name in the contracts folder (hidden: loadContracts skips it). */
export const COMPILED_CONTRACTS = '.compiled.json';

export interface CompiledContracts {
  version: 1;
  /** Each contract file's name and the SHA-256 of its bytes when it was compiled. */
  files: Record<string, string>;
  contracts: Contract[];
}

/** The contract files of a folder, as loadContracts reads them: YAML or JSON, not hidden, sorted. */
export async function contractFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => /\.(ya?ml|json)$/.test(f) && !f.startsWith('.')).sort();
}

/** Each contract file's SHA-256. */
export async function hashContractFiles(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const f of await contractFiles(dir))
    files[f] = createHash('sha256')
      .update(await readFile(join(dir, f)))
      .digest('hex');
  return files;
}

/**
 * The compiled contracts of a folder (in `file`: by default the folder's own), or null when there are none or the
 * files changed since they were compiled.
 */
export async function readCompiledContracts(
  dir: string,
  file = join(dir, COMPILED_CONTRACTS),
): Promise<Contract[] | null> {
  let compiled: CompiledContracts;
  try {
    compiled = JSON.parse(await readFile(file, 'utf8')) as CompiledContracts;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const now = await hashContractFiles(dir);
  const same =
    compiled.version === 1 &&
    Object.keys(now).length === Object.keys(compiled.files).length &&
    Object.entries(now).every(([f, h]) => compiled.files[f] === h);
  return same ? compiled.contracts : null;
}

/**
 * A folder's contracts: compiled when they are current, else read and validated from YAML by loadContracts.ts. That
 * module is imported by a computed specifier so that a bundle (a Lambda function) does not carry YAML and zod: a
 * bundle without current compiled contracts says so.
 */
export async function contractsIn(dir: string): Promise<Contract[]> {
  const compiled = await readCompiledContracts(dir);
  if (compiled) return compiled;
  const loader = new URL('./loadContracts.ts', import.meta.url).href;
  let load: (dir: string) => Promise<Contract[]>;
  try {
    ({ loadContracts: load } = (await import(loader)) as { loadContracts: typeof load });
  } catch (err) {
    throw new Error(
      `the contracts in ${dir} have no current ${COMPILED_CONTRACTS} and this build cannot read YAML contracts: build the runtime layer again (sam build, or node scripts/build.mjs --layer DIR), which compiles them`,
      { cause: err },
    );
  }
  return load(dir);
}
