/**
 * The SDK logs events, not sentences: one JSON line per verification (`verified`). Any object with pino's
 * `info(fields, msg)` shape can take them; by default they go to stderr, because an MCP server speaking stdio uses
 * stdout for the protocol.
 */

export interface SdkLogger {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
}

const LEVELS = { info: 30, warn: 40 } as const;

/** JSON lines in pino's format (`level`, `time`, `name`, `msg`), written to stderr. */
export function jsonStderrLogger(name = 'authplane-sdk'): SdkLogger {
  const write = (level: keyof typeof LEVELS, fields: Record<string, unknown>, msg: string) => {
    process.stderr.write(`${JSON.stringify({ level: LEVELS[level], time: Date.now(), name, ...fields, msg })}\n`);
  };
  return {
    info: (fields, msg) => write('info', fields, msg),
    warn: (fields, msg) => write('warn', fields, msg),
  };
}

export const silentLogger: SdkLogger = { info() {}, warn() {} };

export function resolveLogger(logger: SdkLogger | false | undefined): SdkLogger {
  if (logger === false) return silentLogger;
  return logger ?? jsonStderrLogger();
}
