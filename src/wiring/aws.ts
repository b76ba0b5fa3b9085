import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { CloudWatchMetrics } from '../adapters/aws/CloudWatchMetrics.ts';
import { EmfMetrics } from '../adapters/local/EmfMetrics.ts';
import { SfnPipelineStarter } from '../adapters/aws/SfnPipelineStarter.ts';
import type { Contract } from '../contracts/contract.ts';
import type { MetricsPublisher, ObjectStore, PipelineStarter } from '../ports.ts';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoMergeLease } from '../adapters/aws/DynamoMergeLease.ts';
import { MemoryMergeLease } from '../adapters/local/MemoryMergeLease.ts';
import { mergeGroups } from '../pipeline/mergeGroups.ts';
import { MergeQueue } from '../pipeline/mergeQueue.ts';
import type { PlanContext } from '../pipeline/pipelineTask.ts';
import { athenaDialect, type CatalogNames } from '../pipeline/sqlDialect.ts';
import { join } from 'node:path';
import { S3Store } from '../adapters/aws/S3Store.ts';
import { FolderIdempotencyStore } from '../adapters/local/FolderIdempotencyStore.ts';
import { FolderStore } from '../adapters/local/FolderStore.ts';
import { contractsIn } from '../contracts/compiledContracts.ts';
import type { IngestContext } from '../ingest/context.ts';
import { resolveSettings } from '../ingest/context.ts';

/** The ingest function's configuration, read from the environment once per cold start. */
export interface IngestConfig {
  landingBucket: string;
  lakeBucket: string;
  contractsDir: string;
  targetFileBytes?: number;
  parquetWasmPath?: string;
  /** The Parquet encoder thread's script, bundled into the layer (a checkout uses the source next to it). */
  encoderWorkerPath?: string;
  /** Landfall's Parquet encoder thread and libzstd's .wasm (the layer's copies). */
  landfallWorkerPath?: string;
  zstdWasmPath?: string;
  /** The AssemblyScript CSV core, in the layer. */
  csvWasmPath?: string;
  /** Set by `landfall invoke` and tests: folders instead of S3. */
  localLake?: string;
  /** The pipeline state machine started after each converted batch (absent: not started). */
  stateMachineArn?: string;
  /** Plain files above 1.5 x this many bytes are converted as byte ranges by the state machine's Map. */
  rangeBytes?: number;
  /** DynamoDB table of Powertools idempotency records (the ingest function only). */
  idempotencyTable?: string;
  /** DynamoDB table of the datasets' merge leases (the ingest function starts merge runs). */
  mergeLeaseTable?: string;
}

/**
 * The environment each function reads, and nothing else: template.yaml must set exactly these (a test checks
 * both ways). LANDFALL_LOCAL_LAKE is only ever set by `landfall invoke` and tests, never by the template.
 */
export const FUNCTION_ENV = {
  IngestFunction: [
    'LANDING_BUCKET',
    'LAKE_BUCKET',
    'CONTRACTS_DIR',
    'PARQUET_WASM_PATH',
    'PARQUET_WORKER_PATH',
    'LANDFALL_WORKER_PATH',
    'ZSTD_WASM_PATH',
    'CSV_WASM_PATH',
    'TARGET_FILE_MB',
    'RANGE_MB',
    'STATE_MACHINE_ARN',
    'IDEMPOTENCY_TABLE',
    'MERGE_LEASE_TABLE',
  ],
  ConvertFunction: [
    'LANDING_BUCKET',
    'LAKE_BUCKET',
    'CONTRACTS_DIR',
    'PARQUET_WASM_PATH',
    'PARQUET_WORKER_PATH',
    'LANDFALL_WORKER_PATH',
    'ZSTD_WASM_PATH',
    'CSV_WASM_PATH',
    'TARGET_FILE_MB',
    'RANGE_MB',
  ],
  PlanFunction: [
    'LAKE_BUCKET',
    'CONTRACTS_DIR',
    'RAW_DATABASE',
    'CURATED_DATABASE',
    'SUMMARY_DATABASE',
    'ANALYTICS_DATABASE',
    'MERGE_LEASE_TABLE',
    'STATE_MACHINE_ARN',
  ],
  FreshnessFunction: ['LAKE_BUCKET', 'CONTRACTS_DIR'],
} as const;

export const LOCAL_ONLY_ENV = 'LANDFALL_LOCAL_LAKE';

type FunctionId = keyof typeof FUNCTION_ENV;

/** Reads only the variables declared for the function, so the declaration cannot drift from the code. */
function envOf(fn: FunctionId, env: NodeJS.ProcessEnv) {
  const allowed = new Set<string>([...FUNCTION_ENV[fn], LOCAL_ONLY_ENV]);
  const get = (name: string) => {
    if (!allowed.has(name)) throw new Error(`${fn} reads ${name}, which FUNCTION_ENV does not declare`);
    return env[name] || undefined;
  };
  const need = (name: string) => {
    const v = get(name);
    if (!v)
      throw new Error(`environment variable ${name} is not set (template.yaml sets it for the deployed function)`);
    return v;
  };
  return { get, need };
}

/** The ingest function's configuration; the convert function reads the same, less the state machine and table. */
export function ingestConfigFromEnv(
  env: NodeJS.ProcessEnv,
  fn: 'IngestFunction' | 'ConvertFunction' = 'IngestFunction',
): IngestConfig {
  const { get, need } = envOf(fn, env);
  const megabytes = (name: string) => {
    const text = get(name);
    const mb = text ? Number(text) : undefined;
    if (mb !== undefined && !(mb > 0)) throw new Error(`${name} must be a positive number, not "${text}"`);
    return mb ? Math.round(mb * 1024 * 1024) : undefined;
  };
  const mb = megabytes('TARGET_FILE_MB');
  return {
    landingBucket: need('LANDING_BUCKET'),
    lakeBucket: need('LAKE_BUCKET'),
    contractsDir: get('CONTRACTS_DIR') ?? '/opt/contracts',
    targetFileBytes: mb,
    rangeBytes: megabytes('RANGE_MB'),
    parquetWasmPath: get('PARQUET_WASM_PATH'),
    encoderWorkerPath: get('PARQUET_WORKER_PATH'),
    landfallWorkerPath: get('LANDFALL_WORKER_PATH'),
    zstdWasmPath: get('ZSTD_WASM_PATH'),
    csvWasmPath: get('CSV_WASM_PATH'),
    localLake: get(LOCAL_ONLY_ENV),
    stateMachineArn: fn === 'IngestFunction' ? get('STATE_MACHINE_ARN') : undefined,
    idempotencyTable: fn === 'IngestFunction' ? get('IDEMPOTENCY_TABLE') : undefined,
    mergeLeaseTable: fn === 'IngestFunction' ? get('MERGE_LEASE_TABLE') : undefined,
  };
}

/** Powertools idempotency: DynamoDB on AWS, a folder beside the local lake under `landfall invoke`. */
export function idempotencyFromConfig(c: IngestConfig): BasePersistenceLayer | undefined {
  if (c.localLake) return new FolderIdempotencyStore(join(c.localLake, 'idempotency'));
  return c.idempotencyTable ? new DynamoDBPersistenceLayer({ tableName: c.idempotencyTable }) : undefined;
}

/** Composition root of the ingest function: S3 buckets on AWS, the local lake's folders under `landfall invoke`. */
export async function ingestContextFromConfig(c: IngestConfig): Promise<IngestContext> {
  const s3 = c.localLake ? null : new S3Client({});
  const store = (bucket: string, folder: string) =>
    s3 ? new S3Store(s3, bucket) : new FolderStore(join(c.localLake!, folder), bucket);
  return {
    landing: store(c.landingBucket, 'landing'),
    lake: store(c.lakeBucket, 'lake'),
    contracts: await contractsIn(c.contractsDir),
    settings: resolveSettings({ targetFileBytes: c.targetFileBytes, rangeBytes: c.rangeBytes }),
    now: () => new Date(),
    encoder: {
      workerPath: c.encoderWorkerPath,
      wasmPath: c.parquetWasmPath,
      landfallWorkerPath: c.landfallWorkerPath,
      zstdWasmPath: c.zstdWasmPath,
    },
    csvWasmPath: c.csvWasmPath,
  };
}

export function pipelineStarterFromConfig(c: {
  stateMachineArn?: string;
  localLake?: string;
}): PipelineStarter | undefined {
  return c.stateMachineArn && !c.localLake ? new SfnPipelineStarter(new SFNClient({}), c.stateMachineArn) : undefined;
}

/** The lake's merge queue with the stage's DynamoDB leases (a lease of the process's own under `landfall invoke`). */
export function mergeQueueFromConfig(
  c: { localLake?: string; mergeLeaseTable?: string },
  lake: ObjectStore,
  contracts: Contract[],
): MergeQueue | undefined {
  const groups = mergeGroups(contracts);
  if (c.localLake) return new MergeQueue(lake, new MemoryMergeLease(), () => new Date(), groups);
  return c.mergeLeaseTable
    ? new MergeQueue(lake, new DynamoMergeLease(new DynamoDBClient({}), c.mergeLeaseTable), () => new Date(), groups)
    : undefined;
}

/** Configuration of the plan and freshness functions. */
export interface CatalogConfig {
  lakeBucket: string;
  contractsDir: string;
  names: CatalogNames;
  mergeLeaseTable?: string;
  /** The state machine the daily maintenance request starts merge runs of. */
  stateMachineArn?: string;
  localLake?: string;
}

export function catalogConfigFromEnv(env: NodeJS.ProcessEnv): CatalogConfig {
  const { get, need } = envOf('PlanFunction', env);
  return {
    lakeBucket: need('LAKE_BUCKET'),
    contractsDir: get('CONTRACTS_DIR') ?? '/opt/contracts',
    names: {
      raw: need('RAW_DATABASE'),
      curated: need('CURATED_DATABASE'),
      summary: need('SUMMARY_DATABASE'),
      analytics: need('ANALYTICS_DATABASE'),
    },
    mergeLeaseTable: get(LOCAL_ONLY_ENV) ? undefined : need('MERGE_LEASE_TABLE'),
    stateMachineArn: get('STATE_MACHINE_ARN'),
    localLake: get(LOCAL_ONLY_ENV),
  };
}

export interface FreshnessConfig {
  lakeBucket: string;
  contractsDir: string;
  localLake?: string;
}

export function freshnessConfigFromEnv(env: NodeJS.ProcessEnv): FreshnessConfig {
  const { get, need } = envOf('FreshnessFunction', env);
  return {
    lakeBucket: need('LAKE_BUCKET'),
    contractsDir: get('CONTRACTS_DIR') ?? '/opt/contracts',
    localLake: get(LOCAL_ONLY_ENV),
  };
}

function lakeStore(c: { lakeBucket: string; localLake?: string }): ObjectStore {
  return c.localLake
    ? new FolderStore(join(c.localLake, 'lake'), c.lakeBucket)
    : new S3Store(new S3Client({}), c.lakeBucket);
}

/** Composition root of the plan function: Athena SQL over the stage's Glue databases. */
export async function planContextFromConfig(c: CatalogConfig): Promise<PlanContext> {
  const lake = lakeStore(c);
  const contracts = await contractsIn(c.contractsDir);
  return {
    lake,
    contracts,
    dialect: athenaDialect(`s3://${c.lakeBucket}`),
    names: c.names,
    queue: mergeQueueFromConfig(c, lake, contracts)!,
    rememberDdl: true,
    lakeUri: `s3://${c.lakeBucket}`,
    starter: pipelineStarterFromConfig({ stateMachineArn: c.stateMachineArn, localLake: c.localLake }),
  };
}

export interface FreshnessContext {
  lake: ObjectStore;
  contracts: Contract[];
  metrics: MetricsPublisher;
}

export async function freshnessContextFromConfig(c: FreshnessConfig): Promise<FreshnessContext> {
  const metrics = c.localLake ? new EmfMetrics() : new CloudWatchMetrics(new CloudWatchClient({}));
  return { lake: lakeStore(c), contracts: await contractsIn(c.contractsDir), metrics };
}
