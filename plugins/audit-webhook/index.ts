/**
 * audit-webhook: a sink that POSTs audit events to an operator's endpoint, signed with HMAC-SHA256 over the body
 * (`X-AuthPlane-Signature: sha256=<hex>`, key from AUTHPLANE_AUDIT_WEBHOOK_SECRET), retried with exponential backoff
 * from a bounded queue (delivery.ts). Taps: `auditSinks` (only appends to its queue, so the webhook never slows the
 * other sinks). Metrics: `authserver_audit_webhook_attempts_total{outcome}`, `authserver_audit_webhook_queue_events`;
 * lost events: `authserver_audit_events_dropped_total{reason="webhook_…"}` through the audit bus.
 */
import { defineErrors, definePlugin } from 'authplane';
import { realTimers, WebhookDelivery } from './delivery.js';
import { auditWebhookSchema } from './schema.js';

export const AUDIT_WEBHOOK_SECRET_ENV = 'AUTHPLANE_AUDIT_WEBHOOK_SECRET';
/** HMAC-SHA256 key: at least as many characters as the hash has bytes. */
const MIN_SECRET = 32;
/** How long a stopping server waits for the queue to drain before reporting what is left as dropped. */
const STOP_GRACE_MS = 5_000;

export const auditWebhookErrors = defineErrors('audit-webhook', {
  SECRET: `The webhook signing secret (${AUDIT_WEBHOOK_SECRET_ENV}) is missing or shorter than ${MIN_SECRET} characters.`,
});

export const auditWebhook = definePlugin({
  name: 'audit-webhook',
  schema: auditWebhookSchema,
  env: [AUDIT_WEBHOOK_SECRET_ENV],
  errors: auditWebhookErrors,
  register(api, options) {
    const secret = api.env[AUDIT_WEBHOOK_SECRET_ENV];
    if (!secret || secret.length < MIN_SECRET) {
      throw auditWebhookErrors.SECRET(
        `refusing to start: set ${AUDIT_WEBHOOK_SECRET_ENV} to a random value of at least ${MIN_SECRET} characters (the receiver checks signatures with it)`,
      );
    }
    const attempts = api.metrics.counter({
      name: 'authserver_audit_webhook_attempts_total',
      help: 'POSTs to the audit webhook, by outcome (delivered, retry, rejected, failed)',
      labelNames: ['outcome'] as const,
    });
    const queued = api.metrics.gauge({ name: 'authserver_audit_webhook_queue_events', help: 'Audit events waiting for the webhook' });
    const runtime = api.runtime;
    const delivery = new WebhookDelivery(
      { ...options, secret },
      (events, reason, error) => runtime().audit.dropped(events, reason, error),
      api.log,
      realTimers,
      { attempt: (outcome) => attempts.inc({ outcome }), queued: (n) => queued.set(n) },
    );
    api.hooks.auditSinks.tapPromise(api.name, async (events) => delivery.enqueue(events));
    return {
      async stop() {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([delivery.whenIdle(), new Promise((resolve) => (timer = setTimeout(resolve, STOP_GRACE_MS)))]);
        clearTimeout(timer);
        await delivery.stop();
      },
    };
  },
});
