import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readTemplate, type Template } from './samTemplate.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LAYER = join(ROOT, 'layers', 'runtime');
const ENV_FILE = join(ROOT, 'events', 'env.json');

/** Stand-ins for the pseudo parameters, like `sam local invoke` uses. */
const PSEUDO: Record<string, string> = {
  'AWS::AccountId': '123456789012',
  'AWS::Region': 'us-east-1',
  'AWS::Partition': 'aws',
  'AWS::StackName': 'landfall-local',
};

/**
 * Environment values as the deployed function would see them, resolved locally: parameters take their defaults,
 * resources their logical id, `/opt` is the runtime layer built in layers/runtime. A variable that points at
 * something only AWS has (the state machine) is left out, so the function runs without it. `layerDir` stands
 * for /opt (default: layers/runtime as `npm run build` fills it).
 */
export function resolveEnvironment(
  t: Template,
  variables: Record<string, unknown>,
  layerDir = LAYER,
): Record<string, string> {
  const value = (v: unknown): string | undefined => {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
      return String(v).replace(/^\/opt(?=\/|$)/, layerDir);
    const o = v as Record<string, unknown>;
    if ('Ref' in o) {
      const name = String(o.Ref);
      if (name in PSEUDO) return PSEUDO[name];
      if (t.Parameters?.[name]) return String(t.Parameters[name].Default ?? '');
      const r = t.Resources[name];
      if (r?.Type === 'AWS::Serverless::StateMachine') return undefined;
      return r?.Type === 'AWS::Glue::Database' ? name.replace(/Database$/, '').toLowerCase() : name;
    }
    if ('Fn::Sub' in o && typeof o['Fn::Sub'] === 'string') {
      return o['Fn::Sub'].replace(/\$\{([^}]+)\}/g, (_, k: string) => value({ Ref: k.split('.')[0] }) ?? k);
    }
    return undefined;
  };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(variables)) {
    const resolved = value(v);
    if (resolved !== undefined) out[k] = resolved;
  }
  return out;
}

/**
 * The whole environment a function of the template gets locally, as `sam local invoke` builds it: the template's
 * variables resolved (`/opt` as `layerDir`), then the function's entry of the env-vars file (events/env.json),
 * then the local lake.
 */
export async function localEnvironment(
  t: Template,
  id: string,
  lake: string,
  options: { layerDir?: string; envFile?: string } = {},
): Promise<Record<string, string>> {
  const envFile = options.envFile ?? (existsSync(ENV_FILE) ? ENV_FILE : undefined);
  const overrides = envFile
    ? ((JSON.parse(await readFile(envFile, 'utf8')) as Record<string, Record<string, string>>)[id] ?? {})
    : {};
  return {
    ...resolveEnvironment(t, t.Resources[id].Properties?.Environment?.Variables ?? {}, options.layerDir),
    ...overrides,
    LANDFALL_LOCAL_LAKE: lake,
  };
}

/**
 * `landfall invoke <LogicalId> --event <file>`: what `sam local invoke` does, without Docker. The function is
 * bundled with the template's esbuild options and run in this process against the local lake; a state machine
 * is run by the local interpreter.
 */
export async function invoke(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      event: { type: 'string', short: 'e' },
      lake: { type: 'string', default: '.landfall' },
      'env-vars': { type: 'string', short: 'n' },
    },
  });
  const [id] = positionals;
  const t = await readTemplate();
  const resource = id ? t.Resources[id] : undefined;
  const runnable = Object.entries(t.Resources)
    .filter(([, r]) => r.Type === 'AWS::Serverless::Function' || r.Type === 'AWS::Serverless::StateMachine')
    .map(([k]) => k);
  if (!resource || !runnable.includes(id))
    throw new Error(`name one of ${runnable.join(', ')}${id ? ` (not "${id}")` : ''}`);
  const event = values.event ? JSON.parse(await readFile(values.event, 'utf8')) : {};
  const lake = resolve(values.lake);

  if (resource.Type === 'AWS::Serverless::StateMachine') {
    const { openLocalLake, ingestContext } = await import('../wiring/local.ts');
    const { LocalPipelineRunner } = await import('./pipelineRunner.ts');
    const { runPipelineLocally } = await import('../adapters/local/localPipeline.ts');
    const local = await openLocalLake({ root: lake });
    const runner = await LocalPipelineRunner.open(local);
    try {
      const out = await runPipelineLocally(
        {
          lake: local.lake,
          contracts: local.contracts,
          engine: runner.engine,
          now: () => new Date(),
          emit: (l) => process.stdout.write(`${l}\n`),
          ingest: ingestContext(local),
          queue: runner.queue,
        },
        event,
      );
      process.stdout.write(`${JSON.stringify({ steps: out.steps, alarms: out.alarms })}\n`);
    } finally {
      await runner.close();
    }
    return 0;
  }

  // @ts-expect-error plain JS build script, no type declarations
  const { buildFunctions, buildLayer } = await import('../../scripts/build.mjs');
  // What /opt holds on Lambda: contracts, .wasm and the encoder thread, built fresh (it takes a moment).
  await buildLayer(LAYER);
  const dir = await mkdtemp(join(tmpdir(), 'landfall-invoke-'));
  try {
    const built = (await buildFunctions(dir, [id])) as { id: string; outfile: string; handler: string }[];
    const fn = built.find((f) => f.id === id)!;
    Object.assign(process.env, await localEnvironment(t, id, lake, { envFile: values['env-vars'] }));
    process.stderr.write(`invoking ${id} (${fn.handler}) with ${values.event ?? 'an empty event'} against ${lake}\n`);
    const mod = await import(pathToFileURL(fn.outfile).href);
    const result = await mod[fn.handler.split('.').pop()!](event, { functionName: id, awsRequestId: 'local' });
    // As sam local invoke: logs first, the handler's result last, on one line.
    process.stdout.write(`${JSON.stringify(result ?? null)}\n`);
    return 0;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
