import { IdempotencyItemAlreadyExistsError, IdempotencyItemNotFoundError } from '@aws-lambda-powertools/idempotency';
import { BasePersistenceLayer, IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

interface StoredRecord {
  idempotencyKey: string;
  status: 'INPROGRESS' | 'COMPLETED' | 'EXPIRED';
  expiryTimestamp?: number;
  inProgressExpiryTimestamp?: number;
  responseData?: unknown;
  payloadHash?: string;
}

const LOCK_STALE_MS = 10_000;

/**
 * Powertools idempotency records in a folder, for the laptop (DynamoDB on AWS): one JSON file per key. A put
 * succeeds under the same condition as DynamoDBPersistenceLayer's (no record, an expired one, or an
 * in-progress one whose in-progress expiry has passed), checked under a lock file created with O_EXCL, so
 * concurrent processes sharing the folder see the same outcome as concurrent Lambdas sharing the table.
 * `now` is the clock the conditions are checked against (milliseconds; a test moves it past a record's expiry).
 */
export class FolderIdempotencyStore extends BasePersistenceLayer {
  constructor(
    private readonly dir: string,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  private file(key: string): string {
    return join(this.dir, `${createHash('sha256').update(key).digest('hex').slice(0, 40)}.json`);
  }

  protected async _getRecord(idempotencyKey: string): Promise<IdempotencyRecord> {
    const r = await this.read(idempotencyKey);
    if (!r) throw new IdempotencyItemNotFoundError();
    return toRecord(r);
  }

  protected async _putRecord(record: IdempotencyRecord): Promise<void> {
    await this.locked(record.idempotencyKey, async () => {
      const old = await this.read(record.idempotencyKey);
      const now = this.now();
      const free =
        !old ||
        (old.expiryTimestamp !== undefined && old.expiryTimestamp < now / 1000) ||
        (old.status === 'INPROGRESS' &&
          old.inProgressExpiryTimestamp !== undefined &&
          old.inProgressExpiryTimestamp < now);
      if (!free)
        throw new IdempotencyItemAlreadyExistsError(
          `an idempotency record exists for ${record.idempotencyKey}`,
          toRecord(old!),
        );
      await this.write(fromRecord(record));
    });
  }

  protected async _updateRecord(record: IdempotencyRecord): Promise<void> {
    await this.locked(record.idempotencyKey, () => this.write(fromRecord(record)));
  }

  protected async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    await rm(this.file(record.idempotencyKey), { force: true });
  }

  private async read(key: string): Promise<StoredRecord | null> {
    return readFile(this.file(key), 'utf8')
      .then((t) => JSON.parse(t) as StoredRecord)
      .catch(() => null);
  }

  private async write(r: StoredRecord): Promise<void> {
    const f = this.file(r.idempotencyKey);
    await writeFile(`${f}.tmp`, JSON.stringify(r));
    await rename(`${f}.tmp`, f);
  }

  /** Runs `fn` holding `<record>.lock` (O_EXCL); a lock older than 10 s is taken to be left by a dead process. */
  private async locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    await mkdir(this.dir, { recursive: true });
    const lock = `${this.file(key)}.lock`;
    for (;;) {
      try {
        await (await open(lock, 'wx')).close();
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const s = await stat(lock).catch(() => null);
        if (s && Date.now() - s.mtimeMs > LOCK_STALE_MS) await rm(lock, { force: true });
        else await sleep(5);
      }
    }
    try {
      return await fn();
    } finally {
      await rm(lock, { force: true });
    }
  }
}

function toRecord(r: StoredRecord): IdempotencyRecord {
  return new IdempotencyRecord({
    idempotencyKey: r.idempotencyKey,
    status: r.status,
    expiryTimestamp: r.expiryTimestamp,
    inProgressExpiryTimestamp: r.inProgressExpiryTimestamp,
    responseData: r.responseData as never,
    payloadHash: r.payloadHash,
  });
}

function fromRecord(r: IdempotencyRecord): StoredRecord {
  return {
    idempotencyKey: r.idempotencyKey,
    status: r.getStatus(),
    expiryTimestamp: r.expiryTimestamp,
    inProgressExpiryTimestamp: r.inProgressExpiryTimestamp,
    responseData: r.responseData,
    payloadHash: r.payloadHash,
  };
}
