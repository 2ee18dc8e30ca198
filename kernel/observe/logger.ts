import { pino, type Logger, type DestinationStream } from 'pino';
import type { KernelConfig } from '../config/types.js';

/**
 * JSON logs. Secrets are redacted by path (schema `x-secret` paths plus credentials that appear in requests) so a
 * config dump or a logged request can never print them.
 */
export function createLogger(
  config: Pick<KernelConfig, 'log'>,
  secretPaths: readonly string[],
  destination?: DestinationStream,
): Logger {
  const redact = [
    ...secretPaths,
    ...secretPaths.map((p) => `config.${p}`),
    'req.headers.authorization',
    'req.headers.cookie',
    'headers.authorization',
    'headers.cookie',
    'client_secret',
    'password',
  ];
  return pino(
    {
      level: config.log.level,
      base: { service: 'authplane' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redact, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
