/**
 * The kernel's JSON Schema. Descriptions are the documentation (`npm run docs` renders docs/configuration.md from
 * this schema and every built-in plugin's), `x-secret` marks values accepted from the environment only.
 */
export interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  enum?: readonly unknown[];
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  'x-secret'?: boolean;
  [keyword: string]: unknown;
}

const seconds = (description: string, dflt: number, minimum = 1): JsonSchema => ({
  type: 'integer',
  minimum,
  default: dflt,
  description: `${description} (seconds)`,
});

export const kernelSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    server: {
      type: 'object',
      default: {},
      additionalProperties: false,
      properties: {
        issuer: {
          type: 'string',
          format: 'issuer-url',
          default: 'http://localhost:9000',
          description:
            'Issuer identifier: the `iss` of every token and the discovery `issuer`, used byte for byte (no slash added or removed). https unless the host is localhost. When unset it follows the port of `server.address` (`:9100` gives `http://localhost:9100`); a localhost issuer on another port than the address is kept but warned about at start-up.',
        },
        address: {
          type: 'string',
          format: 'listen-address',
          default: ':9000',
          description: 'Public listener address, `host:port` or `:port`. With no `server.issuer` set, the issuer is `http://localhost:<port>`.',
        },
        allowedOrigins: {
          type: 'array',
          items: { type: 'string', format: 'origin' },
          default: [],
          description:
            'Browser origins allowed by CORS on the OAuth and `/.well-known/*` endpoints (comma list in the environment). `*` allows any origin.',
        },
        trustedProxies: {
          type: 'array',
          items: { type: 'string' },
          default: [],
          description:
            'Addresses of reverse proxies whose `X-Forwarded-For` is trusted for the client IP (exact IPs or `loopback`).',
        },
        bodyLimit: {
          type: 'integer',
          minimum: 1024,
          maximum: 10485760,
          default: 65536,
          description: 'Largest request body accepted, in bytes; larger bodies get 413.',
        },
        fastPaths: {
          type: 'boolean',
          default: true,
          description:
            'Use the measured shortcuts around koa and the database drivers (docs/performance.md): static documents answered before koa, koa\'s request cycle without its per-response watch, responses written together at the end of the I/O phase, driver-level prepared statements and the SQLite read connection. Off, every request goes through plain koa and plain knex; answers are the same, only slower. For ruling the shortcuts out when something looks wrong.',
        },
      },
    },
    admin: {
      type: 'object',
      default: {},
      additionalProperties: false,
      properties: {
        address: {
          type: 'string',
          format: 'listen-address',
          default: '127.0.0.1:9001',
          description: 'Admin listener address (admin API, /metrics). Keep it off the public network.',
        },
        enabled: { type: 'boolean', default: true, description: 'Serve the admin listener.' },
        apiKey: {
          type: 'string',
          'x-secret': true,
          description:
            'Bearer key for every `/admin/*` route; at least 16 characters, required for a non-localhost issuer.',
        },
      },
    },
    storage: {
      type: 'object',
      default: {},
      additionalProperties: false,
      properties: {
        driver: {
          type: 'string',
          default: 'sqlite',
          description: 'Storage driver: `sqlite` or `postgres` (or one a plugin registers).',
        },
        sqlite: {
          type: 'object',
          default: {},
          additionalProperties: false,
          properties: {
            path: {
              type: 'string',
              minLength: 1,
              default: 'data/authserver.db',
              description: 'SQLite database file (WAL mode), created 0600 (its -wal and -shm too); its directory is created 0700 if missing.',
            },
          },
        },
        postgres: {
          type: 'object',
          default: {},
          additionalProperties: false,
          properties: {
            dsn: {
              type: 'string',
              'x-secret': true,
              description: 'PostgreSQL connection string, e.g. `postgres://user:pass@host:5432/db`.',
            },
            poolMax: { type: 'integer', minimum: 1, maximum: 200, default: 10, description: 'Largest connection pool.' },
          },
        },
      },
    },
    signing: {
      type: 'object',
      default: {},
      additionalProperties: false,
      properties: {
        keyStore: {
          type: 'string',
          default: 'keyfile',
          description: 'Key store holding the signing keys: `keyfile`, `postgres` (keystorePostgres()), `vault` (keystoreVault()), or one a plugin registers (docs/keys.md).',
        },
        keyPath: {
          type: 'string',
          minLength: 1,
          default: 'data/keys',
          description: 'Directory of the `keyfile` key store; key files are written with mode 0600.',
        },
        reloadInterval: seconds(
          'How often the key store is re-read, so a rotation by the CLI or another replica takes effect without a restart (a watched store, such as keyfile, switches within a second; this bounds a change the watch missed)',
          60,
          1,
        ),
        retiredKeyRetention: seconds(
          'How long a rotated-out key stays in the JWKS; no token may live longer than this',
          86400,
          60,
        ),
      },
    },
    tokens: {
      type: 'object',
      default: {},
      additionalProperties: false,
      properties: {
        accessTokenTtl: seconds('Default access token lifetime', 900, 30),
        issuanceRetentionDays: {
          type: 'integer',
          minimum: 1,
          default: 30,
          description: 'Issuance rows are kept this many days after their token expired (`authserver purge --only token_issuances`).',
        },
      },
    },
    log: {
      type: 'object',
      default: {},
      additionalProperties: false,
      properties: {
        level: {
          type: 'string',
          enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
          default: 'info',
          description: 'Log level.',
        },
      },
    },
    observability: {
      type: 'object',
      default: {},
      additionalProperties: false,
      properties: {
        tracing: {
          type: 'object',
          default: {},
          additionalProperties: false,
          properties: {
            enabled: {
              type: 'boolean',
              default: false,
              description:
                'Export OpenTelemetry traces over OTLP/HTTP. Off, request log lines still carry W3C `trace_id` and `span_id` (an incoming `traceparent` continued); on, they are the exported spans\' ids.',
            },
            endpoint: {
              type: 'string',
              format: 'uri',
              default: 'http://127.0.0.1:4318/v1/traces',
              description: 'OTLP/HTTP traces endpoint.',
            },
            serviceName: { type: 'string', default: 'authplane', description: 'OpenTelemetry `service.name`.' },
            sampleRatio: {
              type: 'number',
              minimum: 0,
              maximum: 1,
              default: 1,
              description: 'Fraction of traces sampled.',
            },
          },
        },
        metrics: {
          type: 'object',
          default: {},
          additionalProperties: false,
          properties: {
            otlpEnabled: {
              type: 'boolean',
              default: false,
              description:
                'Also push the metrics of `/metrics` over OTLP/HTTP (with the `tracing-otel` plugin), every `otlpInterval` seconds. `/metrics` answers either way.',
            },
            otlpEndpoint: {
              type: 'string',
              format: 'uri',
              default: 'http://127.0.0.1:4318/v1/metrics',
              description: 'OTLP/HTTP metrics endpoint.',
            },
            otlpInterval: { type: 'integer', minimum: 1, default: 60, description: 'Seconds between two OTLP metric exports.' },
          },
        },
      },
    },
    shutdown: {
      type: 'object',
      default: {},
      additionalProperties: false,
      properties: {
        timeout: seconds('On SIGTERM/SIGINT, how long in-flight requests may take to finish', 10),
      },
    },
  },
};
