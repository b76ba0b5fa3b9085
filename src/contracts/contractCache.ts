/**
 * Contracts for local commands, compiled once per change. Each `landfall` command read every YAML file of the
 * contracts folder and validated it with zod (13 files: ~50-90 ms of a `landfall query`'s ~0.4 s, and the YAML and
 * zod modules compiled at each start). The compiled contracts are kept in the lake folder with a hash of each file
 * they came from (compiledContracts.ts, as the runtime layer carries them); a file added, removed or edited since
 * is read and validated again, with the same errors as ever.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Contract } from './contract.ts';
import { readCompiledContracts } from './compiledContracts.ts';

export async function cachedContracts(dir: string, cacheFile: string): Promise<Contract[]> {
  // A cache that cannot be read (not there, unreadable, damaged) is one to write again.
  const cached = await readCompiledContracts(dir, cacheFile).catch(() => null);
  if (cached) return cached;
  const { compileContracts } = await import('./loadContracts.ts');
  const compiled = await compileContracts(dir);
  try {
    await mkdir(dirname(cacheFile), { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(compiled));
    await rename(tmp, cacheFile);
  } catch {
    // A lake folder this process cannot write: the contracts as read, without a cache.
  }
  return compiled.contracts;
}
