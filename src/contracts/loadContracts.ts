import { compilePattern } from './pattern.ts';
import { readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { columnFormats, parseColumnType, type Contract } from './contract.ts';
import { contractSchema } from './contractSchema.ts';
import { ContractError } from './errors.ts';
import { contractFiles, hashContractFiles, type CompiledContracts } from './compiledContracts.ts';
import { compileTemporalFormat } from '../csv/temporal.ts';

/** Loads and validates every `*.yaml` / `*.yml` / `*.json` contract of a folder (hidden files aside), sorted by file name. */
export async function loadContracts(dir: string): Promise<Contract[]> {
  const files = await contractFiles(dir);
  const contracts = await Promise.all(files.map((f) => loadContract(join(dir, f))));
  const seen = new Map<string, string>();
  for (const [i, c] of contracts.entries()) {
    const other = seen.get(c.dataset);
    if (other) throw new ContractError(files[i], [`dataset "${c.dataset}" is also declared in ${other}`]);
    seen.set(c.dataset, files[i]);
  }
  return contracts;
}

/** A folder's contracts validated now, with each file's hash: what the runtime layer carries (compiledContracts.ts). */
export async function compileContracts(dir: string): Promise<CompiledContracts> {
  const files = await hashContractFiles(dir);
  const contracts = await loadContracts(dir);
  if (JSON.stringify(await hashContractFiles(dir)) !== JSON.stringify(files))
    throw new Error(`the contracts in ${dir} changed while they were compiled: build again`);
  return { version: 1, files, contracts };
}

export async function loadContract(file: string): Promise<Contract> {
  return parseContract(await readFile(file, 'utf8'), file);
}

/** Parses contract text (YAML or JSON); every problem is reported with the file and the field path. */
export function parseContract(text: string, file: string): Contract {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ContractError(file, [`not valid YAML: ${(err as Error).message}`], { cause: err });
  }
  const parsed = contractSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ContractError(
      file,
      parsed.error.issues.map((i) => `${describePath(raw, i.path)}: ${i.message}`),
    );
  }
  const contract = parsed.data;
  const problems = semanticProblems(contract);
  const stem = basename(file, extname(file));
  if (stem !== contract.dataset) problems.push(`dataset: "${contract.dataset}" must equal the file name "${stem}"`);
  if (problems.length) throw new ContractError(file, problems);
  return contract;
}

function semanticProblems(c: Contract): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  c.columns.forEach((col, i) => {
    const at = `columns[${i}] (${col.name})`;
    if (names.has(col.name)) problems.push(`${at}.name: duplicate column name`);
    names.add(col.name);
    if (col.name.startsWith('_')) problems.push(`${at}.name: names starting with "_" are reserved for lineage columns`);
    const type = parseColumnType(col.type);
    if (type.kind === 'decimal' && (type.precision < 1 || type.precision > 38 || type.scale > type.precision)) {
      problems.push(`${at}.type: decimal precision must be 1-38 and scale at most the precision`);
    }
    if (col.format !== undefined) {
      if (type.kind !== 'date' && type.kind !== 'timestamp') {
        problems.push(`${at}.format: only date and timestamp columns take a format`);
      } else {
        for (const f of columnFormats(col)) {
          try {
            compileTemporalFormat(f);
          } catch (err) {
            problems.push(`${at}.format: ${(err as Error).message}`);
          }
        }
      }
    }
    const numeric = ['int32', 'int64', 'float64', 'decimal'].includes(type.kind);
    if (col.currency !== undefined && !numeric) problems.push(`${at}.currency: only number columns take a currency`);
    if (col.currency !== undefined && /[0-9.,+-]/.test(col.currency))
      problems.push(`${at}.currency: "${col.currency}" has digits, signs or separators`);
    if (col.percent && type.kind !== 'float64' && type.kind !== 'decimal')
      problems.push(`${at}.percent: only float64 and decimal columns hold percentages (${col.type} cannot hold 0.125)`);
    if (col.checks?.pattern !== undefined) {
      try {
        compilePattern(col.checks.pattern);
      } catch (err) {
        problems.push(`${at}.checks.pattern: ${(err as Error).message}`);
      }
    }
    if ((col.checks?.min !== undefined || col.checks?.max !== undefined) && type.kind === 'boolean') {
      problems.push(`${at}.checks: min/max do not apply to boolean columns`);
    }
  });
  c.key.forEach((k, i) => {
    if (!names.has(k)) problems.push(`key[${i}]: "${k}" is not a column`);
  });
  if (c.version !== undefined && !names.has(c.version)) problems.push(`version: "${c.version}" is not a column`);
  c.partitionBy.forEach((p, i) => {
    const m = /^(?:(year|month|day)\(\s*([a-z_][a-z0-9_]*)\s*\)|([a-z_][a-z0-9_]*))$/.exec(p);
    const col = m?.[2] ?? m?.[3];
    if (!m || !col || !names.has(col)) {
      problems.push(`partitionBy[${i}]: "${p}" must be a column or year(col), month(col), day(col)`);
    }
  });
  if (c.dedupe && c.key.length)
    problems.push('dedupe: exact is for contracts without a key (with a key, rows are upserted by it)');
  if (c.partitionsStable && !c.partitionBy.length)
    problems.push('partitionsStable: true needs partitionBy (there is no partition to look in)');
  c.summaries.forEach((sm, i) => {
    const cols = new Set(sm.columns.map((col) => col.name));
    sm.key.forEach((k) => {
      if (!cols.has(k)) problems.push(`summaries[${i}] (${sm.name}).key: "${k}" is not one of its columns`);
    });
    if (!Object.keys(sm.affected).length)
      problems.push(`summaries[${i}] (${sm.name}).affected: name at least one source dataset`);
    if (sm.scope && !(sm.scope.dataset in sm.affected))
      problems.push(
        `summaries[${i}] (${sm.name}).scope.dataset: "${sm.scope.dataset}" is not one of its affected datasets`,
      );
    for (const text of [sm.sql, ...Object.values(sm.affected)]) {
      for (const m of text.matchAll(/\$\{([^}]*)\}/g)) {
        if (!['curated', 'summary', 'batch'].includes(m[1]))
          problems.push(
            `summaries[${i}] (${sm.name}): unknown placeholder \${${m[1]}} (use \${curated}, \${summary}, \${batch})`,
          );
      }
    }
  });
  if (c.dialect.thousandsSeparator === c.dialect.decimalSeparator)
    problems.push('dialect.thousandsSeparator: must differ from dialect.decimalSeparator');
  const q = c.dialect.quote;
  if (c.dialect.delimiter === q) problems.push('dialect.delimiter: must differ from dialect.quote');
  if (c.dialect.headerRows > 1 && !c.dialect.header) problems.push('dialect.headerRows: needs header: true');
  if (c.dialect.delimiter === '\n' || c.dialect.delimiter === '\r')
    problems.push('dialect.delimiter: cannot be a line break');
  return problems;
}

/** Turns a zod path into `columns[3] (price).type` so the reader finds the field at once. */
function describePath(raw: unknown, path: PropertyKey[]): string {
  let out = '';
  let node: unknown = raw;
  for (const seg of path) {
    if (typeof seg === 'number') {
      out += `[${seg}]`;
      node = Array.isArray(node) ? node[seg] : undefined;
      const name = (node as { name?: unknown } | undefined)?.name;
      if (typeof name === 'string') out += ` (${name})`;
    } else {
      out += out ? `.${String(seg)}` : String(seg);
      node = node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[seg] : undefined;
    }
  }
  return out || '(top level)';
}
