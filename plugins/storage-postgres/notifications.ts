/**
 * The replica channel on PostgreSQL: `LISTEN authplane` on one connection of its own (a pooled connection cannot
 * hold a LISTEN: the pool hands it to queries and recycles it), `pg_notify` through the pool to send. The listening
 * connection is re-opened whenever it drops (a restart of PostgreSQL, a proxy closing it, an idle timeout), with a
 * backoff; each (re)connection is reported so that subscribers re-read what they cache, since NOTIFY delivers only
 * to sessions listening at the time.
 */
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { ReplicaChannel } from 'authplane';

/** The one channel name; topics travel inside the JSON message (kernel/storage/replicas.ts). */
export const CHANNEL = 'authplane';
/** Reconnect delays: quick for a blip, capped so a database down for minutes is not hammered. */
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5000;
/**
 * A connection a firewall or proxy dropped silently reports nothing: a query every few seconds finds out, and the
 * timeout makes a query that never answers count as a drop. Their sum bounds how long changes go unheard.
 */
const HEARTBEAT_MS = 5000;
const HEARTBEAT_TIMEOUT_MS = 5000;
const CONNECT_TIMEOUT_MS = 5000;

type PgClient = import('pg').Client;

export function postgresReplicaChannel(dsn: string, db: Knex, log: Logger): ReplicaChannel {
  let client: PgClient | undefined;
  let closed = false;
  let retryMs = FIRST_RETRY_MS;
  let retryTimer: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let onMessage: (message: string) => void = () => {};
  let onConnected: () => void = () => {};

  const drop = (current: PgClient, reason: unknown) => {
    if (client !== current) return;
    client = undefined;
    clearInterval(heartbeat);
    current.removeAllListeners('notification');
    current.on('error', () => {});
    current.end().catch(() => {});
    if (closed) return;
    log.warn({ err: reason, retry_ms: retryMs }, 'replica listener connection lost; reconnecting');
    schedule();
  };

  const schedule = () => {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => void connect(), retryMs);
    retryTimer.unref();
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  };

  const connect = async (): Promise<void> => {
    if (closed) return;
    const { default: pg } = await import('pg');
    const current = new pg.Client({
      connectionString: dsn,
      application_name: 'authplane-listener',
      keepAlive: true,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    current.on('error', (err) => drop(current, err));
    current.on('end', () => drop(current, new Error('connection ended')));
    try {
      await current.connect();
      await current.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      current.on('error', () => {});
      await current.end().catch(() => {});
      if (closed) return;
      log.warn({ err, retry_ms: retryMs }, 'replica listener cannot connect; retrying');
      schedule();
      return;
    }
    if (closed) {
      await current.end().catch(() => {});
      return;
    }
    client = current;
    retryMs = FIRST_RETRY_MS;
    current.on('notification', (n) => {
      if (n.channel === CHANNEL && n.payload !== undefined) onMessage(n.payload);
    });
    heartbeat = setInterval(() => {
      let timer: NodeJS.Timeout | undefined;
      Promise.race([
        current.query('select 1'),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('heartbeat query timed out')), HEARTBEAT_TIMEOUT_MS);
        }),
      ])
        .catch((err: unknown) => drop(current, err))
        .finally(() => clearTimeout(timer));
    }, HEARTBEAT_MS);
    heartbeat.unref();
    log.info('replica listener connected');
    onConnected();
  };

  return {
    async send(message) {
      await db.raw('select pg_notify(?, ?)', [CHANNEL, message]);
    },
    async listen(messageHandler, connectedHandler) {
      onMessage = messageHandler;
      onConnected = connectedHandler;
      await connect();
    },
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      clearInterval(heartbeat);
      const current = client;
      client = undefined;
      if (current) {
        current.removeAllListeners('end');
        current.on('error', () => {});
        await current.end().catch(() => {});
      }
    },
  };
}
