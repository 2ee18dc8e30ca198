import { Type, type Static } from 'authplane';

export const cimdOptionsSchema = Type.Object(
  {
    allowPrivateAddresses: Type.Boolean({
      default: false,
      description:
        'Fetch metadata documents from loopback, private, link-local and other non-public addresses, and accept `http://` client_ids. Allowed only with a localhost issuer (tests, local development); boot fails otherwise.',
    }),
    fetchTimeout: Type.Number({
      minimum: 0.1,
      maximum: 60,
      default: 5,
      description: 'Deadline for fetching one metadata document, connect to last byte (seconds).',
    }),
    maxDocumentSize: Type.Integer({
      minimum: 512,
      maximum: 1048576,
      default: 65536,
      description: 'Largest metadata document accepted (bytes), counted while it streams in.',
    }),
    cacheTtl: Type.Integer({
      minimum: 0,
      default: 3600,
      description:
        'Longest a fetched document is reused before it is fetched again (seconds). `Cache-Control`/`Expires` of the response can shorten it, never lengthen it; without them this value applies.',
    }),
    failureCacheTtl: Type.Integer({
      minimum: 0,
      default: 10,
      description: 'How long a failed fetch or an invalid document is remembered before the URL is tried again (seconds).',
    }),
    maxConcurrentFetches: Type.Integer({
      minimum: 1,
      default: 16,
      description: 'Most metadata documents fetched at once across all URLs; a lookup beyond it fails with temporarily_unavailable.',
    }),
    maxConcurrentFetchesPerRequester: Type.Integer({
      minimum: 1,
      default: 2,
      description:
        'Most metadata documents fetched at once for one requester (its IP address; an IPv6 address counts as its /64), so slow documents from one source cannot take every `maxConcurrentFetches` slot. A lookup beyond it fails with temporarily_unavailable; a lookup that joins a fetch already running for the same URL takes no slot.',
    }),
    maxConcurrentFetchesPerHost: Type.Integer({
      minimum: 1,
      default: 4,
      description:
        'Most metadata documents fetched at once from one host (the client_id URL\'s host name). A lookup beyond it fails with temporarily_unavailable.',
    }),
  },
  { additionalProperties: false },
);

export type CimdOptions = Static<typeof cimdOptionsSchema>;
