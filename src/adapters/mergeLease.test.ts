import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MergeLease } from '../ports.ts';
import { DynamoMergeLease } from './aws/DynamoMergeLease.ts';
import { MemoryMergeLease } from './local/MemoryMergeLease.ts';

/** One clock for every lease under test, so that a test can let a lease lapse. */
let clock = Date.parse('2026-11-29T12:00:00Z');
const now = () => clock;

let server: ReturnType<typeof dynalite>;
let db: DynamoDBClient;
let tables = 0;

beforeAll(async () => {
  // A DynamoDB-compatible server on 127.0.0.1 (dynalite), started by the test: conditional writes as DynamoDB does them.
  server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  db = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterAll(async () => {
  db?.destroy();
  await new Promise((resolve) => server?.close(resolve));
});

/** The table template.yaml defines (MergeLeaseTable): key `dataset`. */
async function dynamoLease(): Promise<MergeLease> {
  const name = `leases-${++tables}`;
  await db.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'dataset', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'dataset', KeyType: 'HASH' }],
    }),
  );
  return new DynamoMergeLease(db, name, now);
}

describe.each([
  ['DynamoMergeLease (DynamoDB conditional writes, against dynalite)', dynamoLease],
  ['MemoryMergeLease (local runs)', async () => new MemoryMergeLease(now)],
])('%s', (_, make) => {
  it('has one holder at a time per dataset; the holder may take it again; other datasets are independent', async () => {
    const lease = await make();
    expect(await lease.acquire('orders', 'run-1', 3600)).toEqual({ acquired: true });
    expect(await lease.acquire('orders', 'run-2', 3600)).toEqual({ acquired: false, heldBy: 'run-1' });
    expect(await lease.acquire('orders', 'run-1', 3600)).toEqual({ acquired: true });
    expect(await lease.acquire('clicks', 'run-2', 3600)).toEqual({ acquired: true });
  });

  it('is given up only by its holder', async () => {
    const lease = await make();
    await lease.acquire('orders', 'run-1', 3600);
    await lease.release('orders', 'run-2');
    expect(await lease.acquire('orders', 'run-2', 3600)).toEqual({ acquired: false, heldBy: 'run-1' });
    await lease.release('orders', 'run-1');
    expect(await lease.acquire('orders', 'run-2', 3600)).toEqual({ acquired: true });
  });

  it('lapses after its time to live, and is taken over only from the holder named', async () => {
    const lease = await make();
    await lease.acquire('orders', 'run-1', 60);
    clock += 61_000;
    expect(await lease.acquire('orders', 'run-2', 60)).toEqual({ acquired: true });
    expect(await lease.takeOver('orders', 'run-1', 'run-3', 60)).toBe(false);
    expect(await lease.takeOver('orders', 'run-2', 'run-3', 60)).toBe(true);
    expect(await lease.acquire('orders', 'run-2', 60)).toEqual({ acquired: false, heldBy: 'run-3' });
  });

  it('lets exactly one of many concurrent takers win', async () => {
    const lease = await make();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => lease.acquire('burst', `run-${i}`, 3600)));
    expect(results.filter((r) => r.acquired)).toHaveLength(1);
  });
});
