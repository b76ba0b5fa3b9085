import { basename } from 'node:path';
import type { Contract } from './contract.ts';

export type ContractMatch =
  | { contract: Contract }
  | { contract?: undefined; reason: 'no-contract' | 'ambiguous-contract'; detail: string };

/**
 * Finds the contract for a landing object key: first by landing prefix (`<dataset>/` by default),
 * then by file-name pattern. Two contracts claiming the same file is an error, not a coin toss.
 */
export function matchContract(contracts: Contract[], key: string): ContractMatch {
  const byPrefix = contracts.filter((c) => key.startsWith(landingPrefix(c)));
  if (byPrefix.length === 1) return { contract: byPrefix[0] };
  const candidates = byPrefix.length > 1 ? byPrefix : contracts.filter((c) => matchesFileName(c, key));
  if (candidates.length === 1) return { contract: candidates[0] };
  if (candidates.length > 1) {
    return {
      reason: 'ambiguous-contract',
      detail: `${key} matches several contracts: ${candidates.map((c) => c.dataset).join(', ')}`,
    };
  }
  return {
    reason: 'no-contract',
    detail: `no contract matches ${key}: put it under <dataset>/ in the landing zone, or add a contract whose match.patterns covers "${basename(key)}" (landfall infer drafts one)`,
  };
}

export function landingPrefix(c: Contract): string {
  return c.match.prefix ?? `${c.dataset}/`;
}

export function matchesFileName(c: Contract, key: string): boolean {
  const name = basename(key).replace(/\.gz$/i, '');
  return c.match.patterns.some((p) => globToRegExp(p).test(name));
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}
