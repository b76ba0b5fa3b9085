import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { commonOptions, lakeOptions } from './options.ts';

/** `landfall report [--lake DIR] [--out FILE] [--open]`: the lake as one offline HTML page. */
export async function report(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      lake: commonOptions.lake,
      contracts: commonOptions.contracts,
      'target-mb': commonOptions['target-mb'],
      out: { type: 'string' },
      open: { type: 'boolean', default: false },
    },
  });
  const root = values.lake ?? '.landfall';
  if (!(await stat(root).catch(() => null))?.isDirectory())
    throw new Error(
      `no lake at ${root}: land files first (landfall run, watch or demo), or name the lake with --lake DIR`,
    );
  const { openLocalLake } = await import('../wiring/local.ts');
  const { openWarehouse } = await import('./warehouse.ts');
  const { writeReport } = await import('../report/writeReport.ts');
  const lake = await openLocalLake(lakeOptions(values));
  const engine = await openWarehouse(lake);
  try {
    const r = await writeReport(lake, engine, values.out ?? join(lake.root, 'report.html'));
    process.stdout.write(
      `report: ${r.path} (${(r.bytes / 1024).toFixed(0)} KB, ${r.charts} charts, ${r.alarms} alarm(s)); open ${pathToFileURL(r.path)} in a browser\n`,
    );
    for (const p of r.problems) process.stderr.write(`report: ${p}\n`);
    if (values.open) openInBrowser(r.path);
  } finally {
    await engine.close();
  }
  return 0;
}

/** The desktop's own opener; where there is none, the path printed above is the way in. */
function openInBrowser(path: string): void {
  const [cmd, ...args] =
    process.platform === 'darwin'
      ? ['open', path]
      : process.platform === 'win32'
        ? ['cmd', '/c', 'start', '', path]
        : ['xdg-open', path];
  const child = spawn(cmd, args, { detached: true, stdio: 'ignore' });
  child.on('error', () =>
    process.stderr.write(`could not start ${cmd} to open the report: open ${pathToFileURL(path)} in a browser\n`),
  );
  child.unref();
}
