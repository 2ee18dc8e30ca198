import { broker0001 } from '../../migrations/broker/0001_broker.js';
import { broker0002 } from '../../migrations/broker/0002_broker_paging.js';

/** Every migration of the broker plugin, in order. Forward-only; names never change once released. */
export const brokerMigrations = [broker0001, broker0002];
