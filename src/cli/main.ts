import { parseArgs } from 'node:util';
import type { OutputFormat } from './format.ts';
import { commonOptions, lakeOptions, reportOutcomes } from './options.ts';

// Each command loads what it needs when it runs (DuckDB, the AWS SDK, the lake): `landfall help` loads none of it.
const lakeModules = async () => ({
  ...(await import('../wiring/local.ts')),
  ...(await import('./pipelineRunner.ts')),
  ...(await import('./runFiles.ts')),
});

const USAGE = `landfall: CSV files in, a typed, queryable Parquet lake out (locally: no AWS account, no Docker, no network)

usage:
  landfall run   [--lake DIR] [--dataset NAME] PATH...   drop files (or folders) into the landing zone and ingest them
  landfall watch [--lake DIR] [--settle MS] [--report [--out FILE]] FOLDER...
                                                    a drop folder: files copied in land as dropped into the bucket
                                                    (once unchanged for --settle ms, default 2000; each once);
                                                    --report: the report page refreshed after each file
  landfall report [--lake DIR] [--out FILE] [--open]
                                                    the lake as one offline HTML page (default <lake>/report.html): charts
                                                    of the summaries, rows and rejects per batch, freshness, file sizes, alarms
  landfall query [--lake DIR] [--format table|csv|json] "SQL"
                                                    SQL on DuckDB; raw.<dataset> is a view over published Parquet
  landfall infer [--dataset NAME] [--rows N|all] [--out DIR] FILE
                                                    draft a contract from the first rows of a file (plain or gzip)
  landfall replay [--lake DIR | --state-machine ARN] DATASET BATCH
                                                    run a batch's pipeline again (after a failed run): locally, or as a new
                                                    execution <dataset>-<batch>-rN of the deployed state machine
  landfall maintain [--lake DIR]                    what the daily schedule does: each merge group's tables maintained
                                                    (Athena: OPTIMIZE and VACUUM; DuckDB: CHECKPOINT)
  landfall demo  [--lake DIR] [--small]             generate realistic dirty sample data for every contract, ingest it, query it
  landfall invoke <LogicalId> [--event FILE] [--lake DIR] [--env-vars FILE]
                                                    run a function of template.yaml (or the state machine) as sam local invoke
                                                    would, without Docker, against the local lake
  landfall bench [--events-mb 1024] [--wide-mb 256] [--clicks-mb 1024] [--threads 1,2] [--rounds 3] [--dir DIR] [--json]
                 [--no-cold-start] [--warm-mb 16] [--warm-files 8]
                                                    convert generated CSV with Landfall and with DuckDB; print ratios and peak RSS
  landfall burst [--files 1000] [--datasets 13] [--within 60] [--merge-window 60] [--design queued|per-batch]
                 [--max-concurrency 10] [--json]
                                                    a burst of uploads through the real state machine against simulated AWS
                                                    services (their documented rules, public prices) on a simulated clock
  landfall scale [--plain-mb 5120] [--gzip-mb 2048] [--range-mb 1024] [--budget-s N] [--threads 2] [--dir DIR]
                 [--run-mb 512,5120] [--warehouse-mb 512]
                                                    large files end to end, each step in its own process: byte ranges and a gzip
                                                    (--gzip-mb compressed) over time-limited runs vs one pass (rows, checksums, RSS),
                                                    and landfall run end to end (convert and MERGE) with its peak RSS

options:
  --lake DIR        the local lake folder (default .landfall)
  --contracts DIR   dataset contracts (default: the built-in contracts/)
  --target-mb N     target Parquet file size in MB (default 200)
  --range-mb N      plain files over 1.5 x N MB are converted as byte ranges by the state machine's Map (default 1024; 0: never)
  --warehouse-mb N  DuckDB's memory limit for merges, summaries and queries; beyond it, it spills to disk (default 512)
`;

type Command = (args: string[]) => Promise<number>;

/** Each command, loaded when it runs: the ones in their own modules are imported only then. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => run,
  query: async () => query,
  watch: async () => (await import('./watch.ts')).watch,
  report: async () => (await import('./report.ts')).report,
  bench: async () => bench,
  scale: async () => scale,
  infer: async () => (await import('./infer.ts')).infer,
  invoke: async () => (await import('./invoke.ts')).invoke,
  replay: async () => (await import('./replay.ts')).replay,
  demo: async () => (await import('./demo.ts')).demo,
  maintain: async () => maintain,
  burst: async () => (await import('./burst.ts')).burst,
};

/**
 * A reader that closes stdout early (`landfall run ... | head`) makes the next write fail with EPIPE: the command
 * then finishes its work (every file ingested and merged, as without the pipe) and writes nothing more.
 */
function quietOnClosedStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.stdout.write = (() => true) as typeof process.stdout.write;
  });
}

export async function main(argv: string[]): Promise<number> {
  quietOnClosedStdout();
  const [command, ...rest] = argv;
  try {
    if (command !== undefined && Object.hasOwn(COMMANDS, command)) return await (await COMMANDS[command]())(rest);
    if (command === undefined || ['help', '--help', '-h'].includes(command)) {
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    }
    process.stderr.write(`landfall: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  } catch (err) {
    process.stderr.write(`landfall ${command}: ${(err as Error).message}\n`);
    return 1;
  }
}

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...commonOptions, dataset: { type: 'string' } },
  });
  if (!positionals.length) throw new Error('name at least one file or folder to ingest');
  const { openLocalLake, expandPaths, LocalPipelineRunner } = await lakeModules();
  const lake = await openLocalLake(lakeOptions(values));
  const files = await expandPaths(positionals, lake.root);
  const say = (s: string) => process.stdout.write(`${s}\n`);
  const pipeline = await LocalPipelineRunner.open(lake);
  let result: Awaited<ReturnType<(typeof pipeline)['run']>>;
  try {
    result = await pipeline.run(files, values.dataset, say);
    for (const l of await pipeline.freshness()) say(l);
  } finally {
    await pipeline.close();
  }
  return reportOutcomes(result.outcomes, result.mergeFailed);
}

async function maintain(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { lake: commonOptions.lake, contracts: commonOptions.contracts } });
  const { openLocalLake, LocalPipelineRunner } = await lakeModules();
  const lake = await openLocalLake({ root: values.lake, contractsDir: values.contracts });
  const runner = await LocalPipelineRunner.open(lake);
  try {
    const { lines, failed } = await runner.maintain();
    for (const l of lines) process.stdout.write(`${l}\n`);
    return failed ? 1 : 0;
  } finally {
    await runner.close();
  }
}

async function query(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...commonOptions, format: { type: 'string', default: 'table' } },
  });
  const format = values.format as OutputFormat;
  if (!['table', 'csv', 'json'].includes(format))
    throw new Error(`--format must be table, csv or json, not "${format}"`);
  if (positionals.length !== 1) throw new Error('give the SQL as one argument, in quotes');
  const { openLocalLake } = await import('../wiring/local.ts');
  const { openWarehouse } = await import('./warehouse.ts');
  const { formatResult } = await import('./format.ts');
  const lake = await openLocalLake(lakeOptions(values));
  const engine = await openWarehouse(lake);
  try {
    await engine.attachRaw(lake.lake, lake.contracts);
    process.stdout.write(`${formatResult(await engine.query(positionals[0]), format)}\n`);
  } finally {
    await engine.close();
  }
  return 0;
}

async function scale(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'plain-mb': { type: 'string', default: '5120' },
      'gzip-mb': { type: 'string', default: '2048' },
      'small-mb': { type: 'string', default: '200' },
      'range-mb': { type: 'string', default: '1024' },
      'budget-s': { type: 'string', default: '0' },
      'run-mb': { type: 'string', default: '512,5120' },
      'warehouse-mb': { type: 'string', default: '512' },
      threads: { type: 'string', default: '2' },
      dir: { type: 'string', default: '.landfall/scale' },
    },
  });
  const num = (name: keyof typeof values) => {
    const n = Number(values[name]);
    if (!(n >= 0)) throw new Error(`--${name} takes a number, not "${values[name]}"`);
    return n;
  };
  const { runScaleCheck } = await import('../bench/scaleCheck.ts');
  const ok = await runScaleCheck({
    dir: values.dir,
    plainMb: num('plain-mb'),
    gzipMb: num('gzip-mb'),
    smallMb: num('small-mb'),
    rangeMb: num('range-mb'),
    budgetMs: num('budget-s') * 1000,
    threads: num('threads'),
    log: (s) => process.stdout.write(`${s}\n`),
    runMbs: (values['run-mb'] ?? '').split(',').filter(Boolean).map(Number),
    warehouseMb: num('warehouse-mb'),
  });
  return ok ? 0 : 1;
}

async function bench(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'events-mb': { type: 'string', default: '1024' },
      'wide-mb': { type: 'string', default: '256' },
      'clicks-mb': { type: 'string', default: '1024' },
      'warm-mb': { type: 'string', default: '16' },
      'warm-files': { type: 'string', default: '8' },
      threads: { type: 'string', default: '1,2' },
      rounds: { type: 'string', default: '3' },
      'no-cold-start': { type: 'boolean', default: false },
      dir: { type: 'string', default: '.landfall/bench' },
      json: { type: 'boolean', default: false },
    },
  });
  const list = (s: string, what: string) =>
    s.split(',').map((x) => {
      const n = Number(x);
      if (!(n > 0)) throw new Error(`--${what} takes positive numbers separated by commas, not "${s}"`);
      return n;
    });
  const { runBenchmark, formatBenchmark, measureColdStart, measureCliStart, machineInfo, runWarm, formatWarm } =
    await import('../bench/runBenchmark.ts');
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const mb = (name: 'events-mb' | 'wide-mb' | 'clicks-mb' | 'warm-mb') => {
    const n = Number(values[name]);
    if (!(n >= 0)) throw new Error(`--${name} takes a size in MB (0 skips that input), not "${values[name]}"`);
    return n;
  };
  // Every option read before any work: a mistyped one fails at once, not after an hour of benchmarking.
  const sizes = { eventsMb: mb('events-mb'), wideMb: mb('wide-mb'), clicksMb: mb('clicks-mb') };
  const threads = list(values.threads, 'threads');
  const rounds = Number(values.rounds);
  if (!(Number.isInteger(rounds) && rounds >= 1))
    throw new Error(`--rounds takes a whole number of rounds (1 or more), not "${values.rounds}"`);
  const warmMb = mb('warm-mb');
  const warmFiles = Number(values['warm-files']);
  if (!(Number.isInteger(warmFiles) && warmFiles >= 0))
    throw new Error(`--warm-files takes a number of files (0 skips them), not "${values['warm-files']}"`);
  let cold: Awaited<ReturnType<typeof measureColdStart>> | undefined;
  let cli: Awaited<ReturnType<typeof measureCliStart>> | undefined;
  if (!values['no-cold-start']) {
    log('cold start of the bundled ingest function, and of the command...');
    cold = await measureColdStart(values.dir);
    cli = await measureCliStart(values.dir);
  }
  const results = await runBenchmark({ dir: values.dir, ...sizes, threads, rounds, log });
  const warm =
    warmMb > 0 && warmFiles > 0
      ? await runWarm({
          dir: values.dir,
          mb: warmMb,
          files: warmFiles,
          threads,
          log,
        })
      : [];
  process.stdout.write(
    values.json
      ? `${JSON.stringify({ machine: machineInfo(), coldStart: cold, cliStart: cli, results, warm }, null, 2)}\n`
      : `${formatBenchmark(results, cold, cli)}\n${formatWarm(warm)}\n`,
  );
  return results.every((r) => r.sameRows && r.sameValues) && warm.every((w) => w.landfall.rows === w.duckdb.rows)
    ? 0
    : 1;
}
