/** The audit-webhook plugin's options. The signing secret is not one: it comes from AUTHPLANE_AUDIT_WEBHOOK_SECRET. */
import { Type, type Static } from 'authplane';

export const auditWebhookSchema = Type.Object(
  {
    url: Type.String({
      format: 'uri',
      pattern: '^https?://',
      description: 'Where batches of audit events are POSTed (JSON `{delivery_id, events}`), signed in the `X-AuthPlane-Signature` header.',
    }),
    batchSize: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Most events in one POST.' }),
    maxQueue: Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      default: 10_000,
      description:
        'Most events waiting for the webhook; beyond it new events are dropped (logged whole at error level and counted as `authserver_audit_events_dropped_total{reason="webhook_queue_full"}`).',
    }),
    maxAttempts: Type.Integer({ minimum: 1, maximum: 100, default: 8, description: 'POSTs of one batch before its events are dropped (`reason="webhook_failed"`).' }),
    initialBackoffMs: Type.Integer({ minimum: 1, maximum: 3_600_000, default: 1000, description: 'Wait before the first retry; doubled for each further one.' }),
    maxBackoffMs: Type.Integer({ minimum: 1, maximum: 3_600_000, default: 60_000, description: 'Longest wait between two attempts.' }),
    timeoutMs: Type.Integer({ minimum: 100, maximum: 120_000, default: 10_000, description: 'Deadline of one POST, connect to response (ms).' }),
  },
  {
    additionalProperties: false,
    description: 'Audit events to an HTTP endpoint: batched, HMAC-SHA256-signed, retried with exponential backoff from a bounded queue.',
  },
);

export type AuditWebhookOptions = Static<typeof auditWebhookSchema>;
