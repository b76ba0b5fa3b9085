/**
 * The layering of src/ (docs/architecture.md): folders along the data's path, each importing only the folders
 * below it, and no import cycle between files. Reads every import of src/ and functions/ (type imports too: a type
 * is a dependency for whoever reads the code).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('..', import.meta.url));

/** What each folder may import (besides itself). The commands at the top may import anything below them. */
const ALLOWED: Record<string, string[] | '*'> = {
  'ports.ts': [],
  lake: [],
  csv: [],
  contracts: ['csv', 'lake'],
  decode: ['csv', 'contracts', 'lake'],
  parquet: ['ports.ts'],
  ingest: ['csv', 'contracts', 'decode', 'lake', 'parquet', 'ports.ts'],
  pipeline: ['contracts', 'ingest', 'lake', 'parquet', 'ports.ts'],
  flow: ['contracts', 'ingest', 'lake', 'pipeline', 'ports.ts'],
  'adapters/aws': ['contracts', 'flow', 'ingest', 'lake', 'pipeline', 'ports.ts'],
  'adapters/local': ['contracts', 'ingest', 'lake', 'parquet', 'pipeline', 'ports.ts'],
  sim: ['adapters/local', 'contracts', 'flow', 'ingest', 'lake', 'pipeline', 'ports.ts'],
  wiring: ['adapters/aws', 'adapters/local', 'contracts', 'flow', 'ingest', 'lake', 'pipeline', 'ports.ts'],
  functions: ['contracts', 'flow', 'ingest', 'lake', 'pipeline', 'ports.ts', 'wiring'],
  report: ['adapters/local', 'contracts', 'ingest', 'lake', 'pipeline', 'ports.ts', 'wiring'],
  cli: '*',
  bench: '*',
  demo: '*',
};

const IMPORTS = [
  /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  /^\s*import\s+['"]([^'"]+)['"]/gm,
];

function sourceFiles(dir: string): string[] {
  return readdirSync(join(REPO, dir), { recursive: true, withFileTypes: true })
    .filter(
      (e) => e.isFile() && /\.(ts|mts|mjs)$/.test(e.name) && !/\.test\.ts$/.test(e.name) && !e.name.endsWith('.d.mts'),
    )
    .map((e) => relative(REPO, join(e.parentPath, e.name)).split(sep).join('/'));
}

/** src/<folder>/..., src/adapters/<kind>/..., src/ports.ts, functions/... */
function folderOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'functions') return 'functions';
  if (parts.length === 2) return parts[1];
  return parts[1] === 'adapters' ? `adapters/${parts[2]}` : parts[1];
}

/** Every file's imports inside the repository, as repository paths. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of [...sourceFiles('src'), ...sourceFiles('functions')]) {
    const text = readFileSync(join(REPO, file), 'utf8');
    const targets: string[] = [];
    for (const re of IMPORTS) {
      for (const m of text.matchAll(re)) {
        const spec = m[1];
        if (spec.startsWith('#src/')) targets.push(`src/${spec.slice(5)}`);
        else if (spec.startsWith('.'))
          targets.push(
            normalize(join(dirname(file), spec))
              .split(sep)
              .join('/'),
          );
      }
    }
    graph.set(
      file,
      targets.filter((t) => t.startsWith('src/') || t.startsWith('functions/')),
    );
  }
  return graph;
}

/** Strongly connected components with more than one file (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('the layering of src/', () => {
  const graph = importGraph();

  it('reads the imports of every source file (the check itself works)', () => {
    expect(graph.size).toBeGreaterThan(80);
    expect(graph.get('src/ingest/batch.ts')).toContain('src/decode/wasmDecoder.ts');
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
          ['d', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b', 'c']]);
  });

  it("spells the lineage columns and the lake's key prefixes only in src/lake/layout.ts", () => {
    const spelled: string[] = [];
    for (const file of graph.keys()) {
      if (file === 'src/lake/layout.ts' || !file.startsWith('src/')) continue;
      const text = readFileSync(join(REPO, file), 'utf8').replace(/^\s*(\/\/|\*|\/\*\*).*$/gm, '');
      for (const m of text.matchAll(
        /['`](_batch_id|_source_key|_source_line|_ingested_at|(?:raw|quarantine|manifests|staging|symlinks)\/)/g,
      ))
        spelled.push(`${file}: ${m[1]}`);
    }
    expect(spelled).toEqual([]);
  });

  it('has no import cycle between files', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('every file is in a folder the layering knows, and imports only the folders below it', () => {
    const unknown = [...graph.keys()].filter((f) => !(folderOf(f) in ALLOWED));
    expect(unknown).toEqual([]);
    const wrong: string[] = [];
    for (const [file, targets] of graph) {
      const from = folderOf(file);
      const allowed = ALLOWED[from];
      if (allowed === '*') continue;
      for (const t of targets) {
        const to = folderOf(t);
        if (to !== from && !allowed.includes(to)) wrong.push(`${file} -> ${t} (${from} may not import ${to})`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
