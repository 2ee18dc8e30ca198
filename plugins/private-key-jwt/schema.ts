import { Type, type Static } from 'authplane';

export const privateKeyJwtSchema = Type.Object(
  {
    maxAssertionLifetime: Type.Integer({
      minimum: 10,
      maximum: 3600,
      default: 300,
      description:
        "The most a client assertion's `exp` may lie ahead of its use, in seconds (RFC 7523 §3: the server may bound it). A client signs a fresh, short-lived assertion per request; a longer one is refused.",
    }),
    maxWorkloadTokenLifetime: Type.Integer({
      minimum: 60,
      maximum: 31536000,
      default: 86400,
      description:
        "The most a workload token's `exp` may lie ahead of its use, in seconds. Platform tokens (a Kubernetes projected service-account token) are reused until the platform renews them, so they are not single use; this bounds how long a stolen one is worth anything.",
    }),
  },
  { additionalProperties: false },
);

export type PrivateKeyJwtOptions = Static<typeof privateKeyJwtSchema>;
