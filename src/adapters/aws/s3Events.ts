import type { S3Event, SQSEvent } from 'aws-lambda';
import type { ObjectCreatedRecord, QueueMessage } from '../../flow/objectCreated.ts';

/** The created objects of an S3 event (other event types are left out); keys decoded. */
export function objectCreatedRecords(event: S3Event): ObjectCreatedRecord[] {
  if (!Array.isArray(event?.Records)) throw new TypeError('not an S3 event: no Records array');
  return event.Records.filter((r) => r.eventName?.startsWith('ObjectCreated:')).map((r) => ({
    bucket: r.s3.bucket.name,
    key: decodeURIComponent(r.s3.object.key.replace(/\+/g, ' ')),
  }));
}

/**
 * The landing queue's messages, read: each carries an S3 event. S3's `s3:TestEvent`, sent when the notification is
 * set up, reads as a message without records (acknowledged); a body that is not an S3 event says so.
 */
export function queueMessages(event: SQSEvent): QueueMessage[] {
  return event.Records.map((m) => {
    try {
      const body = JSON.parse(m.body) as { Event?: string } & Partial<S3Event>;
      if (body.Event === 's3:TestEvent') return { messageId: m.messageId, records: [] };
      if (!Array.isArray(body.Records))
        return { messageId: m.messageId, error: `message ${m.messageId} carries no S3 event` };
      return { messageId: m.messageId, records: objectCreatedRecords(body as S3Event) };
    } catch (err) {
      return { messageId: m.messageId, error: (err as Error).message };
    }
  });
}

export function isSqsEvent(event: unknown): event is SQSEvent {
  const first = (event as { Records?: { eventSource?: string }[] })?.Records?.[0];
  return first?.eventSource === 'aws:sqs';
}
