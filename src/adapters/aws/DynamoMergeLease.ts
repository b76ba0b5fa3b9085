import { DeleteItemCommand, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { MergeLease } from '../../ports.ts';

/**
 * Merge leases as DynamoDB items `{ dataset, holder, expiresAt }` written with conditions, so that two writers can
 * never both hold one (`expiresAt` is also the table's TTL attribute: lapsed items are swept away).
 */
export class DynamoMergeLease implements MergeLease {
  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
    private readonly now: () => number = Date.now,
  ) {}

  async acquire(
    dataset: string,
    holder: string,
    ttlSeconds: number,
  ): Promise<{ acquired: true } | { acquired: false; heldBy: string }> {
    // A lease released between the refused write and the read is tried again; three times is plenty.
    for (let attempt = 0; attempt < 3; attempt++) {
      const written = await this.conditionalPut(
        dataset,
        holder,
        ttlSeconds,
        'attribute_not_exists(dataset) OR holder = :holder OR expiresAt < :now',
        {
          ':holder': { S: holder },
          ':now': { N: String(Math.floor(this.now() / 1000)) },
        },
      );
      if (written) return { acquired: true };
      const { Item } = await this.db.send(
        new GetItemCommand({ TableName: this.table, Key: { dataset: { S: dataset } }, ConsistentRead: true }),
      );
      if (Item?.holder?.S) return { acquired: false, heldBy: Item.holder.S };
    }
    throw new Error(`merge lease of ${dataset} keeps changing hands; try again`);
  }

  takeOver(dataset: string, from: string, holder: string, ttlSeconds: number): Promise<boolean> {
    return this.conditionalPut(dataset, holder, ttlSeconds, 'holder = :from', { ':from': { S: from } });
  }

  async release(dataset: string, holder: string): Promise<void> {
    try {
      await this.db.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: { dataset: { S: dataset } },
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': { S: holder } },
        }),
      );
    } catch (err) {
      // Not ours (any more): nothing to give up.
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    }
  }

  /** PutItem of the lease under a condition: false when DynamoDB refused it. */
  private async conditionalPut(
    dataset: string,
    holder: string,
    ttlSeconds: number,
    condition: string,
    values: Record<string, { S: string } | { N: string }>,
  ): Promise<boolean> {
    try {
      await this.db.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            dataset: { S: dataset },
            holder: { S: holder },
            expiresAt: { N: String(Math.floor(this.now() / 1000) + ttlSeconds) },
          },
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }
}
