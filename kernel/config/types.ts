import type { PluginInstance } from '../plugin/define.js';

/** The kernel's own settings after defaults, file and environment are merged and validated. */
export interface KernelConfig {
  server: {
    /** Byte-for-byte the `iss` of every token and the discovery `issuer`. */
    issuer: string;
    address: string;
    allowedOrigins: string[];
    trustedProxies: string[];
    bodyLimit: number;
    /** The shortcuts in kernel/fast-path/ (and the SQLite driver's statement cache and reader); off: plain koa and knex. */
    fastPaths: boolean;
  };
  admin: {
    address: string;
    enabled: boolean;
    /** Env only: AUTHPLANE_ADMIN_API_KEY. */
    apiKey?: string;
  };
  storage: {
    driver: string;
    sqlite: { path: string };
    postgres: { dsn?: string; poolMax: number };
  };
  signing: {
    keyStore: string;
    keyPath: string;
    reloadInterval: number;
    retiredKeyRetention: number;
  };
  tokens: {
    accessTokenTtl: number;
    issuanceRetentionDays: number;
  };
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  observability: {
    tracing: { enabled: boolean; endpoint: string; serviceName: string; sampleRatio: number };
    metrics: { otlpEnabled: boolean; otlpEndpoint: string; otlpInterval: number };
  };
  shutdown: { timeout: number };
}

export type DeepPartial<T> = T extends readonly (infer U)[]
  ? readonly U[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** What a user writes in `authplane.config.ts`. Secrets are not settable here: they come from the environment. */
export type AuthPlaneConfig = DeepPartial<KernelConfig> & {
  admin?: DeepPartial<Omit<KernelConfig['admin'], 'apiKey'>>;
  storage?: DeepPartial<Omit<KernelConfig['storage'], 'postgres'>> & {
    postgres?: DeepPartial<Omit<KernelConfig['storage']['postgres'], 'dsn'>>;
  };
  /** Plugin instances, in any order; `dependsOn` decides the order they run in. */
  plugins?: readonly PluginInstance<any>[];
};

/** Typed identity: gives the config file completion and type checking. */
export function defineConfig(config: AuthPlaneConfig): AuthPlaneConfig {
  return config;
}
