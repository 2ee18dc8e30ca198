/** The broker plugin's options. The shape of one provider (the seeds' items) is provider-schema.ts's. */
import { Type, type Static } from 'authplane';
import { encryptionOptionsSchema } from './crypto/schema.js';
import { createProviderSchema } from './provider-schema.js';
import { vendOptionsSchema } from './vend/schema.js';

export const brokerOptionsSchema = Type.Object(
  {
    providers: Type.Array(createProviderSchema, {
      default: [],
      description:
        'Upstream providers inserted at boot when their slug is missing; an existing row is never overwritten (edit it ' +
        'through the admin API or the CLI). Same fields as `POST /admin/broker-providers` (docs/broker.md). Secrets are ' +
        'named by environment variable (`client_secret_ref`, `credential_ref`), never written here.',
    }),
    outbound: Type.Object(
      {
        timeoutMs: Type.Integer({
          minimum: 100,
          maximum: 60000,
          default: 10000,
          description: 'Deadline of one call to an upstream token endpoint, connect to last byte (ms).',
        }),
        maxResponseBytes: Type.Integer({
          minimum: 1024,
          maximum: 1048576,
          default: 65536,
          description: 'Largest upstream answer read (bytes), counted while it streams in.',
        }),
        allowPrivateAddresses: Type.Boolean({
          default: false,
          description:
            'Call upstream token endpoints on loopback, private, link-local and other non-public addresses. Allowed only with a localhost issuer (tests, local development); boot fails otherwise.',
        }),
      },
      { default: {}, additionalProperties: false },
    ),
    encryption: encryptionOptionsSchema,
    vend: vendOptionsSchema,
  },
  {
    additionalProperties: false,
    description:
      'The broker: upstream providers (GitHub, Google, Slack…) whose tokens broker resources hand out. Calls upstream follow no redirects and are SSRF-guarded.',
  },
);

export type BrokerOptions = Static<typeof brokerOptionsSchema>;
