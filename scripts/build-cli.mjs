#!/usr/bin/env node
// Builds the `landfall` command into node_modules/.cache/landfall/ (esbuild, ESM, one chunk per lazily loaded
// command), so that a start compiles no TypeScript: npm's prepare step builds it, bin/landfall.mjs runs it when it
// is newer than every source file, and rebuilds it (about a second) when a source file changed. Each build gets a
// folder of its own, named by cli.json: a command still loading chunks of an older build never loses them. Packages
// stay outside the bundle (resolved from the checkout's node_modules) but yaml and zod. Each module's `import.meta.url` keeps meaning its source file, so
// the paths it resolves from there (contracts/, wasm/, the ASL, the encoder worker) are the checkout's.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = join(root, 'node_modules', '.cache', 'landfall');
/** Names the current build's folder; written last, by rename. */
const POINTER = join(CACHE, 'cli.json');
/** Older builds are removed once this old (a command may still be loading one). */
const KEEP_MS = 3_600_000;

/** The files a build depends on: the sources under src/ (tests excluded), the scripts it bundles, the lockfile. */
function inputs() {
  const src = ['src', 'scripts'].flatMap((d) =>
    readdirSync(join(root, d), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && /\.(ts|mts|mjs|json)$/.test(e.name) && !e.name.endsWith('.test.ts'))
      .map((e) => join(e.parentPath, e.name)),
  );
  return [...src, join(root, 'package-lock.json')];
}

/** The current build's entry when it started after every input's last change, else null. */
export function freshCliEntry() {
  let built;
  let entry;
  try {
    const pointer = JSON.parse(readFileSync(POINTER, 'utf8'));
    built = pointer.startedAt;
    entry = join(CACHE, pointer.dir, 'main.mjs');
    statSync(entry);
  } catch {
    return null;
  }
  const fresh = inputs().every((f) => {
    try {
      return statSync(f).mtimeMs < built;
    } catch {
      return true; // a file deleted since: its absence is the next build's business
    }
  });
  return fresh ? entry : null;
}

/**
 * `import.meta.url` in a source file (src/, and the scripts the CLI imports: build.mjs, build-wasm.mjs), as its own
 * URL computed from where the bundle lies (any build folder).
 */
function sourceUrlPlugin(outdir) {
  return {
    name: 'source-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /[\\/](src|scripts)[\\/].*\.(ts|mts|mjs)$/ }, async (args) => {
        const text = await readFile(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const rel = relative(outdir, args.path).split(sep).join('/');
        return {
          contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`),
          loader: args.path.endsWith('.mjs') ? 'js' : 'ts',
        };
      });
    },
  };
}

/**
 * Packages stay outside the bundle, resolved from node_modules at run time, except the small pure-JS ones every
 * command loads to read the contracts (yaml, zod): bundled, they cost one parse instead of a module graph.
 */
const BUNDLED = /^(yaml|zod)(\/|$)/;
const externalPackagesPlugin = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./#]/ }, (args) =>
      BUNDLED.test(args.path) || args.path.startsWith('node:') ? undefined : { path: args.path, external: true },
    );
  },
};

/** Builds into a folder of its own, then points cli.json at it; returns the entry. */
export async function buildCli() {
  const startedAt = Date.now();
  const dir = `cli-${startedAt}-${process.pid}`;
  const outdir = join(CACHE, dir);
  await mkdir(outdir, { recursive: true });
  const { build } = await import('esbuild');
  await build({
    // The benchmark's converter too: it runs Landfall as users run it, built, without tsx (src/bench/runBenchmark.ts).
    entryPoints: {
      main: join(root, 'src', 'cli', 'main.ts'),
      'convert-once': join(root, 'src', 'bench', 'convertOnce.ts'),
    },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunk-[hash]',
    plugins: [externalPackagesPlugin, sourceUrlPlugin(outdir)],
    // yaml is CommonJS and requires Node's builtins: give the ESM output a require of its own.
    banner: {
      js: "import { createRequire as __landfallRequire } from 'node:module'; const require = __landfallRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  const tmp = `${POINTER}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify({ dir, startedAt }));
  await rename(tmp, POINTER);
  for (const old of await readdir(CACHE)) {
    if (!old.startsWith('cli-') || old === dir) continue;
    const at = Number(old.split('-')[1]);
    if (Date.now() - at > KEEP_MS) await rm(join(CACHE, old), { recursive: true, force: true });
  }
  return join(outdir, 'main.mjs');
}

/** A file of the current build, building it first when a source changed (`convert-once.mjs`: the benchmark's). */
export async function builtCliFile(name) {
  return join(dirname(freshCliEntry() ?? (await buildCli())), name);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = performance.now();
  console.log(`landfall CLI built: ${await buildCli()} (${Math.round(performance.now() - t0)} ms)`);
}
