/**
 * What `sam build` does with template.yaml, replayed step by step without the SAM CLI, so that `npm test` checks the
 * build in seconds without Python; the AWS lane (tests/awsLane/samCli.test.ts) runs the real `sam build` and checks
 * that its bundles are these, byte for byte. The steps follow aws-lambda-builders (docs/deploy.md says which of its classes each mirrors):
 *
 * - a function with `BuildMethod: esbuild`: its CodeUri folder is copied to a scratch folder without `.git`,
 *   `.aws-sam` and `node_modules` (at any depth); `npm install -q --no-audit --no-save --omit=dev` (as SAM CLI 1.170 runs it)
 *   runs there (lifecycle scripts included); esbuild is looked up in that folder's `node_modules/.bin`; it
 *   bundles with `--bundle --platform=node --outdir=ARTIFACTS` and the defaults `--target=es2020`,
 *   `--format=cjs`, `--minify` for whatever BuildProperties leave out, plus the properties SAM passes on;
 * - a layer with `BuildMethod: makefile`: its ContentUri folder is copied to a scratch folder (without `.git`,
 *   `.aws-sam`) and `make --makefile <ContentUri>/Makefile build-<LogicalId>` runs there with ARTIFACTS_DIR set.
 */
import { execFile } from 'node:child_process';
import { copyFile, cp, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { localEnvironment } from '#src/cli/invoke.ts';
import { promisify } from 'node:util';
import type { Template } from '#src/cli/samTemplate.ts';
import { SHARED_DATA } from './helpers.ts';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('..', import.meta.url));

/** One sample event per function, run in this order (the plan and the convert step read what the ingest published). */
export const SAMPLES: [string, string][] = [
  ['IngestFunction', 's3-put-csv.json'],
  ['ConvertFunction', 'convert-publish.json'],
  ['PlanFunction', 'plan-enqueue.json'],
  ['FreshnessFunction', 'freshness-schedule.json'],
];

/** Loads a built handler in a fresh Node process, with the environment Lambda would give it, and calls it once. */
export async function invokeBuilt(
  fn: BuiltFunction,
  t: Template,
  layer: string,
  lake: string,
  event: string,
): Promise<unknown> {
  const env = { PATH: process.env.PATH, ...(await localEnvironment(t, fn.id, lake, { layerDir: layer })) };
  const [file, exported] = fn.handler.split('.');
  const runner = `
    const mod = await import(${JSON.stringify(join(fn.dir, `${file}.mjs`))});
    const event = JSON.parse(await (await import('node:fs/promises')).readFile(${JSON.stringify(join(REPO, 'events', event))}, 'utf8'));
    const context = { functionName: ${JSON.stringify(fn.id)}, awsRequestId: 'sam-build-test', getRemainingTimeInMillis: () => 600000 };
    process.stdout.write('\\n' + JSON.stringify(await mod[${JSON.stringify(exported)}](event, context)) + '\\n');`;
  const script = join(dirname(fn.dir), `invoke-${fn.id}.mjs`);
  await writeFile(script, runner);
  const { stdout } = await promisify(execFile)(process.execPath, [script], {
    env,
    cwd: dirname(fn.dir),
    maxBuffer: 1 << 26,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

/**
 * Every sample event through the built functions, in SAMPLES' order, over a lake folder in `work` whose landing
 * zone holds the Olist orders file the ingest sample names. The answers, by function.
 */
export async function invokeSamples(
  built: BuiltFunction[],
  t: Template,
  layer: string,
  work: string,
): Promise<Map<string, unknown>> {
  const lake = join(work, 'lake');
  await mkdir(join(lake, 'landing', 'olist_orders'), { recursive: true });
  await copyFile(
    join(SHARED_DATA, 'olist/sample_bravida/olist_orders_dataset.csv'),
    join(lake, 'landing', 'olist_orders', 'olist_orders_dataset.csv'),
  );
  const results = new Map<string, unknown>();
  for (const [id, event] of SAMPLES)
    results.set(id, await invokeBuilt(built.find((f) => f.id === id)!, t, layer, lake, event));
  return results;
}

/** The esbuild options aws-lambda-builders passes on from BuildProperties, by kind (snake_case, as it normalises them). */
const BOOLEAN = ['minify', 'sourcemap', 'keep_names'];
const SINGLE = ['target', 'format', 'main_fields', 'sources_content'];
const MULTI = ['external', 'loader', 'out_extension', 'banner'];

const snake = (k: string) => k.replace(/(?<=[a-z0-9])([A-Z])/g, '_$1').toLowerCase();

/** The esbuild command line SAM runs for one function (entry points relative to the scratch folder). */
export function esbuildArgs(buildProperties: Record<string, unknown>, outdir: string): string[] {
  const p = Object.fromEntries(Object.entries(buildProperties).map(([k, v]) => [snake(k), v]));
  const args = ['--bundle', '--platform=node', `--outdir=${outdir}`];
  if (!('target' in p)) args.push('--target=es2020');
  if (!('format' in p)) args.push('--format=cjs');
  if (!('minify' in p)) args.push('--minify');
  for (const k of BOOLEAN) if (p[k] === true) args.push(`--${k.replace(/_/g, '-')}`);
  for (const k of SINGLE) if (k in p) args.push(`--${k.replace(/_/g, '-')}=${String(p[k])}`);
  for (const k of MULTI)
    for (const v of (p[k] as string[] | undefined) ?? []) args.push(`--${k.replace(/_/g, '-')}:${v}`);
  return [...args, ...(p.entry_points as string[])];
}

/** shutil.copytree with ignore_patterns(...names): a name is skipped wherever it stands in the tree. */
async function copyTree(from: string, to: string, excluded: string[]): Promise<void> {
  await cp(from, to, { recursive: true, filter: (src) => !excluded.includes(basename(src)) || src === from });
}

export interface BuiltFunction {
  id: string;
  dir: string;
  handler: string;
  esbuild: string;
}

/**
 * Builds every esbuild function of the template in `source` (a checkout) into `out/<LogicalId>/`, as SAM does.
 * All functions share one CodeUri (`./`) and the same install, so the scratch folder is installed once.
 */
export async function samBuildFunctions(
  t: Template,
  source: string,
  out: string,
  scratch: string,
): Promise<BuiltFunction[]> {
  const fns = Object.entries(t.Resources).filter(
    ([, r]) => r.Type === 'AWS::Serverless::Function' && r.Metadata?.BuildMethod === 'esbuild',
  );
  const codeUris = new Set(fns.map(([, r]) => r.Properties!.CodeUri));
  if (codeUris.size !== 1) throw new Error(`the replay expects one shared CodeUri, not ${[...codeUris].join(', ')}`);
  const codeDir = join(source, String([...codeUris][0]));
  await copyTree(codeDir, scratch, ['.aws-sam', '.git', 'node_modules']);
  await run('npm', ['install', '-q', '--no-audit', '--no-save', '--omit=dev'], {
    cwd: scratch,
    // The same command; npm takes the tarballs from its cache when it has them (CI ran `npm ci` just before).
    env: { ...process.env, npm_config_prefer_offline: 'true' },
    maxBuffer: 1 << 26,
  });
  const { stdout: root } = await run('npm', ['root'], { cwd: scratch });
  const esbuild = join(root.trim(), '.bin', 'esbuild');
  await stat(esbuild).catch(() => {
    throw new Error(
      `sam build would find no esbuild: ${esbuild} is missing after the production install (esbuild must be a dependency)`,
    );
  });
  const built: BuiltFunction[] = [];
  for (const [id, r] of fns) {
    const dir = join(out, id);
    await mkdir(dir, { recursive: true });
    await run(esbuild, esbuildArgs(r.Metadata!.BuildProperties, dir), { cwd: scratch, maxBuffer: 1 << 26 });
    built.push({ id, dir, handler: r.Properties!.Handler, esbuild });
  }
  return built;
}

/** Builds a `BuildMethod: makefile` layer of the template into `out/<LogicalId>/` (what Lambda mounts at /opt). */
export async function samBuildLayer(
  t: Template,
  id: string,
  source: string,
  out: string,
  scratch: string,
): Promise<string> {
  const layer = t.Resources[id];
  if (layer?.Metadata?.BuildMethod !== 'makefile')
    throw new Error(`${id} has no BuildMethod makefile: sam build would zip its folder as it is`);
  const contentDir = join(source, String(layer.Properties!.ContentUri));
  await copyTree(contentDir, scratch, ['.aws-sam', '.git']);
  const artifacts = join(out, id);
  await mkdir(artifacts, { recursive: true });
  await run('make', ['--makefile', join(contentDir, 'Makefile'), `build-${id}`], {
    cwd: scratch,
    env: { ...process.env, ARTIFACTS_DIR: artifacts },
    maxBuffer: 1 << 26,
  });
  return artifacts;
}

/** The files git would commit (tracked, plus new ones not ignored), copied from the working tree. */
export async function copyCommittable(repo: string, to: string): Promise<void> {
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: repo,
    maxBuffer: 1 << 26,
  });
  for (const f of stdout.split('\0').filter(Boolean)) {
    const from = join(repo, f);
    if (!(await stat(from).catch(() => null))) continue; // deleted in the working tree
    await mkdir(join(to, f, '..'), { recursive: true });
    await cp(from, join(to, f));
  }
}

export async function listFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}
