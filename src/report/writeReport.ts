import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { DuckDbEngine } from '../adapters/local/DuckDbEngine.ts';
import type { LocalLake } from '../wiring/local.ts';
import { collectReport } from './reportData.ts';
import { renderReport } from './reportHtml.ts';

/**
 * Writes the lake's report to `out` (renamed into place: a browser refreshing it never reads half a page) and
 * says what it holds, and what in the contracts it could not draw. The warehouse is read, then released for other landfall commands.
 */
export async function writeReport(
  lake: LocalLake,
  engine: DuckDbEngine,
  out: string,
): Promise<{ path: string; bytes: number; charts: number; alarms: number; problems: string[] }> {
  const path = resolve(out);
  try {
    const data = await collectReport(lake, engine, { targetFileBytes: lake.settings.targetFileBytes });
    const html = await renderReport(data, path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(`${path}.tmp`, html);
    await rename(`${path}.tmp`, path);
    return {
      path,
      bytes: Buffer.byteLength(html),
      charts: (html.match(/<figure class="chart"/g) ?? []).length,
      alarms: data.alarms.length,
      problems: data.views.filter((v) => v.broken).map((v) => `analytics.${v.view.name}: ${v.error}`),
    };
  } finally {
    await engine.release();
  }
}
