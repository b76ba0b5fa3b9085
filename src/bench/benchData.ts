import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { once } from 'node:events';
import { Random } from '../demo/random.ts';

/** The benchmark's dataset: an events table of ten mixed columns, as a contract and as generated CSV. */
export const BENCH_CONTRACT = `dataset: bench_events
description: Generated events table for the benchmark (ten mixed columns).
columns:
  - { name: event_id, type: int64, nullable: false }
  - { name: event_time, type: timestamp, nullable: false }
  - { name: user_id, type: int64, nullable: false }
  - { name: event_type, type: string, nullable: false }
  - { name: item_id, type: int32 }
  - { name: price, type: "decimal(12,2)" }
  - { name: quantity, type: int32 }
  - { name: country, type: string }
  - { name: is_mobile, type: boolean }
  - { name: referrer, type: string }
`;

/** DuckDB column types for the same file. */
export const BENCH_DUCK_COLUMNS = `{'event_id': 'BIGINT', 'event_time': 'TIMESTAMP', 'user_id': 'BIGINT', 'event_type': 'VARCHAR', 'item_id': 'INTEGER', 'price': 'DECIMAL(12,2)', 'quantity': 'INTEGER', 'country': 'VARCHAR', 'is_mobile': 'BOOLEAN', 'referrer': 'VARCHAR'}`;

const TYPES = ['view', 'view', 'view', 'view', 'click', 'click', 'add_to_cart', 'purchase', 'search', 'share'];
const COUNTRIES = ['BR', 'US', 'DE', 'FR', 'IN', 'GB', 'MX', 'JP', 'ES', 'IT', 'CA', 'AR'];
const REFERRERS = [
  'https://www.google.com/',
  'https://www.facebook.com/',
  'https://t.co/x',
  '',
  'newsletter "weekly", issue 12',
  'https://duckduckgo.com/?q=landfall',
];

/** One benchmark input: how to generate it, and its schema for Landfall (a contract) and for DuckDB. */
export interface BenchDataset {
  name: string;
  dataset: string;
  contract: string;
  /** DuckDB's read_csv columns = {...} for the same types. */
  duckColumns: string;
  columns: string[];
  generate: (path: string, bytes: number) => Promise<number>;
}

export const EVENTS: BenchDataset = {
  name: 'events',
  dataset: 'bench_events',
  contract: BENCH_CONTRACT,
  duckColumns: BENCH_DUCK_COLUMNS,
  columns: [
    'event_id',
    'event_time',
    'user_id',
    'event_type',
    'item_id',
    'price',
    'quantity',
    'country',
    'is_mobile',
    'referrer',
  ],
  generate: (path, bytes) => generateBenchCsv(path, bytes),
};

/** The wide input: 300 columns cycling through six types, as exported feature tables and ad logs are. */
const WIDE_TYPES = [
  { type: 'int64', duck: 'BIGINT' },
  { type: 'float64', duck: 'DOUBLE' },
  { type: 'string', duck: 'VARCHAR' },
  { type: 'int32', duck: 'INTEGER' },
  { type: 'timestamp', duck: 'TIMESTAMP' },
  { type: '"decimal(12,2)"', duck: 'DECIMAL(12,2)' },
];
const WIDE_COLUMNS = Array.from({ length: 300 }, (_, i) => `c${String(i).padStart(3, '0')}`);
const CATEGORIES = [
  'alpha',
  'beta',
  'gamma',
  'delta',
  'epsilon',
  'zeta',
  'eta',
  'theta',
  'iota',
  'kappa',
  'lambda',
  'mu',
];

export const WIDE: BenchDataset = {
  name: 'wide-300',
  dataset: 'bench_wide',
  contract: `dataset: bench_wide\ndescription: Generated 300-column table for the benchmark.\ncolumns:\n${WIDE_COLUMNS.map((c, i) => `  - { name: ${c}, type: ${WIDE_TYPES[i % 6].type} }`).join('\n')}\n`,
  duckColumns: `{${WIDE_COLUMNS.map((c, i) => `'${c}': '${WIDE_TYPES[i % 6].duck}'`).join(', ')}}`,
  columns: WIDE_COLUMNS,
  generate: (path, bytes) =>
    writeRows(path, bytes, WIDE_COLUMNS.join(','), (r) => {
      const t = Date.UTC(2024, 0, 1) + r.int(0, 365 * 86400) * 1000;
      return WIDE_COLUMNS.map((_, i) => {
        if (r.next() < 0.05) return '';
        switch (i % 6) {
          case 0:
            return String(r.int(1, 1_000_000_000));
          case 1:
            return (r.int(-1_000_000, 1_000_000) / 1000).toString();
          case 2:
            return CATEGORIES[r.int(0, 11)];
          case 3:
            return String(r.int(0, 500));
          case 4:
            return new Date(t + i * 1000).toISOString().replace('T', ' ').slice(0, 19);
          default:
            return (r.int(0, 10_000_000) / 100).toFixed(2);
        }
      }).join(',');
    }),
};

/**
 * The click log: eight narrow columns shaped like TalkingData's (ip, app, device, os, channel as integers with their
 * skew, the click time rising with jitter, an install time for one click in four hundred, the install flag).
 */
const CLICK_COLUMNS = ['ip', 'app', 'device', 'os', 'channel', 'click_time', 'attributed_time', 'is_attributed'];
export const CLICKS: BenchDataset = {
  name: 'clicks',
  dataset: 'bench_clicks',
  contract: `dataset: bench_clicks
description: Generated click log for the benchmark (narrow, integers and timestamps, as TalkingData's).
columns:
  - { name: ip, type: int32, nullable: false }
  - { name: app, type: int32, nullable: false }
  - { name: device, type: int32, nullable: false }
  - { name: os, type: int32, nullable: false }
  - { name: channel, type: int32, nullable: false }
  - { name: click_time, type: timestamp, nullable: false }
  - { name: attributed_time, type: timestamp }
  - { name: is_attributed, type: int32, nullable: false }
`,
  duckColumns: `{'ip': 'INTEGER', 'app': 'INTEGER', 'device': 'INTEGER', 'os': 'INTEGER', 'channel': 'INTEGER', 'click_time': 'TIMESTAMP', 'attributed_time': 'TIMESTAMP', 'is_attributed': 'INTEGER'}`,
  columns: CLICK_COLUMNS,
  generate: (path, bytes) => {
    let t = Date.UTC(2017, 10, 6, 14);
    const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
    return writeRows(path, bytes, CLICK_COLUMNS.join(','), (r) => {
      t += r.int(0, 40);
      const click = t - r.int(0, 600) * 1000;
      const installed = r.next() < 0.0025;
      const skew = (n: number) => Math.floor(n * r.next() ** 3);
      return [
        r.int(1, 370_000),
        skew(700),
        skew(3_500),
        skew(800),
        r.int(0, 500),
        iso(click),
        installed ? iso(click + r.int(1, 86_400) * 1000) : '',
        installed ? 1 : 0,
      ].join(',');
    });
  },
};

/** Writes rows of `row()` after `header` until about `bytes` (deterministic); reuses an existing file of that size. */
async function writeRows(path: string, bytes: number, header: string, row: (r: Random) => string): Promise<number> {
  const existing = await stat(path).catch(() => null);
  if (existing && Math.abs(existing.size - bytes) < 1024 * 1024) return existing.size;
  const r = new Random(7);
  const out = createWriteStream(path);
  let written = 0;
  let buf = `${header}\n`;
  while (written + buf.length < bytes) {
    for (let k = 0; k < 500; k++) buf += `${row(r)}\n`;
    if (!out.write(buf)) await once(out, 'drain');
    written += buf.length;
    buf = '';
  }
  out.end();
  await once(out, 'close');
  return written;
}

/** Writes about `bytes` of CSV (deterministic for a given size); reuses an existing file of the same size. */
export async function generateBenchCsv(
  path: string,
  bytes: number,
  onProgress?: (done: number) => void,
): Promise<number> {
  const existing = await stat(path).catch(() => null);
  if (existing && Math.abs(existing.size - bytes) < 1024 * 1024) return existing.size;
  const r = new Random(42);
  const out = createWriteStream(path);
  let written = 0;
  let id = 1;
  let t = Date.UTC(2024, 0, 1);
  let buf = 'event_id,event_time,user_id,event_type,item_id,price,quantity,country,is_mobile,referrer\n';
  while (written + buf.length < bytes) {
    for (let k = 0; k < 20000; k++) {
      t += r.int(0, 900);
      const ts = new Date(t).toISOString();
      const type = TYPES[r.int(0, 9)];
      const ref = REFERRERS[r.int(0, 5)];
      const refField = ref.includes('"') ? `"${ref.replace(/"/g, '""')}"` : ref;
      const price = type === 'purchase' || type === 'add_to_cart' ? (r.int(100, 250000) / 100).toFixed(2) : '';
      buf += `${id++},${ts.slice(0, 10)} ${ts.slice(11, 23)},${r.int(1, 5_000_000)},${type},${r.int(1, 200000)},${price},${price ? r.int(1, 5) : ''},${COUNTRIES[r.int(0, 11)]},${r.next() < 0.6},${refField}\n`;
    }
    if (!out.write(buf)) await once(out, 'drain');
    written += buf.length;
    buf = '';
    onProgress?.(written);
  }
  out.end();
  await once(out, 'close');
  return written;
}
