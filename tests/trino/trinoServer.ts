import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A real Trino server (Athena engine v3 is Trino) and an S3 endpoint in front of a lake folder, both on 127.0.0.1,
 * started by the Trino lane's tests. Installed by scripts/trino-install.sh (.trino/, pinned, from Maven Central).
 *
 * - S3: s3proxy's filesystem backend serves each folder under `root` as a bucket, objects as plain files, so the
 *   lake folder a local run writes (`<root>/lake`, whose store is named `lake`) is `s3://lake/` to Trino: the
 *   symlink files' `s3://lake/raw/...` URIs and the DDL's `s3://lake/...` locations are read as written.
 * - One catalog, `awsdatacatalog`, as Athena's: the Hive connector over a file metastore (Glue's part), which
 *   hands Iceberg tables to the `iceberg` catalog over the same metastore (table redirection), as Athena does
 *   with one Glue catalog holding both kinds. Hive reads timestamps at milliseconds, as Athena's Hive tables do.
 */
export interface TrinoServer {
  readonly url: string;
  /** The file metastore's folder: the catalog (Glue's part), written by the DDL stand-in (athenaOnTrino.ts). */
  readonly metastore: string;
  query(sql: string, schema?: string): Promise<TrinoResult>;
  /** What Trino read and wrote in a query (its QueryInfo's inputs and output tables). */
  queryTables(id: string): Promise<QueryTables>;
  /** Every S3 request Trino made, in order, as it reached the S3 endpoint (a recording proxy in front of s3proxy). */
  readonly s3Requests: S3Request[];
  /** Peak resident memory of the Trino JVM so far (MB), from /proc. */
  peakRssMb(): Promise<number>;
  close(): Promise<void>;
}

export interface TrinoResult {
  id: string;
  columns: { name: string; type: string }[];
  rows: unknown[][];
}

export interface QueryTables {
  inputs: { catalog: string; schema: string; table: string }[];
  output?: { catalog: string; schema: string; table: string };
}

/** An S3 request as it went over the wire (path style: /bucket/key?query), and the keys a DeleteObjects named. */
export interface S3Request {
  method: string;
  bucket: string;
  key: string;
  query: URLSearchParams;
  deleteKeys?: string[];
}

/** A proxy on 127.0.0.1 in front of `target` that records each request (path style) before it forwards it. */
async function recordingProxy(target: number, log: S3Request[]): Promise<{ port: number; close: () => void }> {
  const server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const entry: S3Request = {
      method: req.method ?? 'GET',
      bucket: decodeURIComponent(bucket),
      key: decodeURIComponent(rest.join('/')),
      query: url.searchParams,
    };
    log.push(entry);
    const chunks: Buffer[] = [];
    const upstream = httpRequest(
      { host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 500, r.headers);
        r.pipe(res);
      },
    );
    upstream.on('error', (err) => res.destroy(err));
    req.on('data', (c: Buffer) => {
      if (url.searchParams.has('delete')) chunks.push(c);
      upstream.write(c);
    });
    req.on('end', () => {
      if (chunks.length)
        entry.deleteKeys = [
          ...Buffer.concat(chunks)
            .toString('utf8')
            .matchAll(/<Key>([^<]*)<\/Key>/g),
        ].map((m) => m[1]);
      upstream.end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { port: (server.address() as { port: number }).port, close: () => server.close() };
}

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const TRINO_VERSION = '476';
export const TRINO_HOME = join(ROOT, `.trino/trino-server-${TRINO_VERSION}`);
export const S3PROXY_JAR = join(ROOT, '.trino/dl/s3proxy-2.6.0-jar-with-dependencies.jar');
/** Trino 476 needs Java 24 or newer; CI and this machine have Temurin 25 there (TRINO_JAVA_HOME overrides). */
const JAVA_HOME = process.env.TRINO_JAVA_HOME ?? '/usr/lib/jvm/temurin-25-jdk-amd64';

/** Why the lane cannot run here, or null: said by the test so that a missing install fails loudly. */
export function trinoMissing(): string | null {
  if (!existsSync(join(TRINO_HOME, 'lib')) || !existsSync(join(TRINO_HOME, 'plugin/iceberg')))
    return `Trino ${TRINO_VERSION} is not installed in ${TRINO_HOME}: run scripts/trino-install.sh (it fetches it from Maven Central)`;
  if (!existsSync(S3PROXY_JAR)) return `s3proxy is not in ${S3PROXY_JAR}: run scripts/trino-install.sh`;
  if (!existsSync(join(JAVA_HOME, 'bin/java')))
    return `no Java 24+ in ${JAVA_HOME}: install a JDK 25 there or set TRINO_JAVA_HOME`;
  return null;
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

const properties = (o: Record<string, string | number>) =>
  `${Object.entries(o)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;

async function waitFor(what: string, proc: ChildProcess, log: string, ready: () => Promise<boolean>, ms: number) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null)
      throw new Error(`${what} exited (${proc.exitCode}) while starting; its log:\n${await tail(log)}`);
    if (await ready().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what} did not start within ${ms / 1000} s; its log:\n${await tail(log)}`);
}

async function tail(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').slice(-40).join('\n');
}

/**
 * Starts s3proxy over `root` (each folder a bucket) and a one-node Trino over it, its work files in `work`.
 * `heapMb` bounds the JVM; the lane's data fits in 2 GB.
 */
export async function startTrino(o: { root: string; work: string; heapMb?: number }): Promise<TrinoServer> {
  const missing = trinoMissing();
  if (missing) throw new Error(missing);
  const java = join(JAVA_HOME, 'bin/java');
  const [s3Port, httpPort] = [await freePort(), await freePort()];
  const etc = join(o.work, 'etc');
  const metastore = join(o.work, 'metastore');
  await mkdir(join(etc, 'catalog'), { recursive: true });
  await mkdir(metastore, { recursive: true });

  await writeFile(
    join(o.work, 's3proxy.conf'),
    properties({
      's3proxy.endpoint': `http://127.0.0.1:${s3Port}`,
      's3proxy.authorization': 'none',
      // Trino's AWS SDK sends headers s3proxy does not know (x-amz-optional-object-attributes on ListObjectsV2).
      's3proxy.ignore-unknown-headers': 'true',
      // jclouds' filesystem provider, not filesystem-nio2: nio2 keeps each object's MD5 in an extended attribute and fails
      // to list a file written beside it (the lake's files are written by FolderStore, not through S3).
      'jclouds.provider': 'filesystem',
      'jclouds.filesystem.basedir': o.root,
      'jclouds.identity': 'landfall',
      'jclouds.credential': 'landfall',
    }),
  );
  const s3Log = join(o.work, 's3proxy.log');
  const s3 = spawn(
    'sh',
    ['-c', `exec "${java}" -Xmx256m -jar "${S3PROXY_JAR}" --properties s3proxy.conf > s3proxy.log 2>&1`],
    {
      cwd: o.work,
      stdio: 'ignore',
    },
  );
  await waitFor('s3proxy', s3, s3Log, async () => (await fetch(`http://127.0.0.1:${s3Port}/`)).status < 500, 60_000);
  const s3Requests: S3Request[] = [];
  const proxy = await recordingProxy(s3Port, s3Requests);
  const s3Url = `http://127.0.0.1:${proxy.port}`;

  const fileSystems = {
    'fs.native-s3.enabled': 'true',
    's3.endpoint': s3Url,
    's3.region': 'us-east-1',
    's3.path-style-access': 'true',
    's3.aws-access-key': 'landfall',
    's3.aws-secret-key': 'landfall',
    'fs.native-local.enabled': 'true',
    'local.location': o.work,
    'hive.metastore.catalog.dir': 'local:///metastore',
  };
  await writeFile(
    join(etc, 'config.properties'),
    properties({
      coordinator: 'true',
      'node-scheduler.include-coordinator': 'true',
      'http-server.http.port': httpPort,
      'discovery.uri': `http://127.0.0.1:${httpPort}`,
      'node.environment': 'landfall',
      'node.id': 'landfall-trino-lane',
      'query.max-memory': '1GB',
      'query.max-memory-per-node': '1GB',
      // Athena writes at most 100 partitions per statement (HIVE_TOO_MANY_OPEN_PARTITIONS); Trino's limit is per
      // writer (iceberg.max-partitions-per-writer, 100 by default): one writer a task, on one node, makes it per statement.
      'task.min-writer-count': 1,
      'task.max-writer-count': 1,
    }),
  );
  await writeFile(
    join(etc, 'catalog/awsdatacatalog.properties'),
    properties({
      'connector.name': 'hive',
      'hive.metastore': 'file',
      ...fileSystems,
      'hive.iceberg-catalog-name': 'iceberg',
      'hive.timestamp-precision': 'MILLISECONDS',
    }),
  );
  await writeFile(
    join(etc, 'catalog/iceberg.properties'),
    properties({
      'connector.name': 'iceberg',
      // The file metastore for Iceberg tables (Trino's own tests use it): Glue's part, beside the Hive tables.
      'iceberg.catalog.type': 'TESTING_FILE_METASTORE',
      ...fileSystems,
      'iceberg.hive-catalog-name': 'awsdatacatalog',
      'iceberg.file-format': 'PARQUET',
      'iceberg.compression-codec': 'ZSTD',
    }),
  );
  const log = join(o.work, 'trino.log');
  const jvm = [
    `-Xmx${o.heapMb ?? 2048}m`,
    '-XX:+UseG1GC',
    '-XX:+ExitOnOutOfMemoryError',
    // Athena's sessions are in UTC; Trino's default is the JVM's zone.
    '-Duser.timezone=UTC',
    '-Djdk.attach.allowAttachSelf=true',
    `-Dconfig=${join(etc, 'config.properties')}`,
    `-Dcatalog.config-dir=${join(etc, 'catalog')}`,
    `-Dplugin.dir=${join(TRINO_HOME, 'plugin')}`,
    '-cp',
    `${join(TRINO_HOME, 'lib')}/*`,
    'io.trino.server.TrinoServer',
  ];
  const trino = spawn('sh', ['-c', `exec "${java}" ${jvm.map((a) => `'${a}'`).join(' ')} > trino.log 2>&1`], {
    cwd: o.work,
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${httpPort}`;
  const stop = async () => {
    for (const p of [trino, s3]) if (p.exitCode === null) p.kill('SIGKILL');
    proxy.close();
  };
  try {
    await waitFor(
      'Trino',
      trino,
      log,
      async () => {
        const r = await fetch(`${url}/v1/info`);
        return r.ok && !((await r.json()) as { starting: boolean }).starting;
      },
      180_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }

  const query = async (sql: string, schema?: string): Promise<TrinoResult> => {
    const headers: Record<string, string> = { 'X-Trino-User': 'landfall', 'X-Trino-Catalog': 'awsdatacatalog' };
    if (schema) headers['X-Trino-Schema'] = schema;
    let page = (await (await fetch(`${url}/v1/statement`, { method: 'POST', body: sql, headers })).json()) as Page;
    const rows: unknown[][] = [];
    let columns: TrinoResult['columns'] = [];
    const id = page.id;
    for (;;) {
      if (page.columns) columns = page.columns;
      if (page.data) rows.push(...page.data);
      if (page.error) throw new TrinoQueryError(page.error, sql);
      if (!page.nextUri) break;
      page = (await (await fetch(page.nextUri, { headers })).json()) as Page;
    }
    return { id, columns, rows };
  };

  const queryTables = async (id: string): Promise<QueryTables> => {
    const info = (await (await fetch(`${url}/v1/query/${id}`, { headers: { 'X-Trino-User': 'landfall' } })).json()) as {
      inputs?: { catalogName: string; schema: string; table: string }[];
      output?: { catalogName: string; schema: string; table: string };
    };
    const t = (x: { catalogName: string; schema: string; table: string }) => ({
      catalog: x.catalogName,
      schema: x.schema,
      table: x.table,
    });
    return { inputs: (info.inputs ?? []).map(t), ...(info.output ? { output: t(info.output) } : {}) };
  };

  return {
    url,
    metastore,
    query,
    queryTables,
    s3Requests,
    async peakRssMb() {
      const status = await readFile(`/proc/${trino.pid}/status`, 'utf8').catch(() => '');
      return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
    },
    close: stop,
  };
}

interface Page {
  id: string;
  columns?: TrinoResult['columns'];
  data?: unknown[][];
  nextUri?: string;
  error?: TrinoError;
}

interface Failure {
  type?: string;
  message?: string;
  cause?: Failure;
}

interface TrinoError {
  message: string;
  errorName: string;
  errorType: string;
  failureInfo?: Failure;
}

/** A statement Trino refused or failed: its error name (e.g. HIVE_TOO_MANY_OPEN_PARTITIONS), message and text. */
export class TrinoQueryError extends Error {
  readonly errorName: string;
  constructor(e: TrinoError, sql: string) {
    const causes: string[] = [];
    for (let f = e.failureInfo?.cause; f; f = f.cause) causes.push(`  caused by ${f.type}: ${f.message}`);
    super(`${e.errorName}: ${e.message}\n${causes.join('\n')}\n-- the statement:\n${sql.slice(0, 2000)}`);
    this.name = 'TrinoQueryError';
    this.errorName = e.errorName;
  }
}
