/**
 * The clients plugin's `clients` service (the registry of clients in the database), as other plugins see it
 * (`api.use('clients')`). `Client` itself stays in the kernel: the token endpoint resolves and authenticates
 * clients through the `resolveClient` hook, whichever plugin stores them. Other plugins import these types only
 * (`import type`), so a build without the clients plugin has none of its code.
 */
import type { Client, TokenEndpointAuthMethod } from 'authplane';

/**
 * RFC 7591 §2 client metadata as a self-registration presents it (DCR body, CIMD document), after the registering
 * plugin's own shape checks. The registry applies the same rules between fields as the admin API.
 */
export interface ClientMetadataInput {
  client_name: string;
  redirect_uris: readonly string[];
  grant_types: readonly string[];
  response_types?: readonly string[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  /** Scope ceiling; empty or absent means none. */
  scope?: string;
  application_type?: 'web' | 'native';
  /**
   * The client describes itself as an AI agent (docs/agents.md): its tokens carry `agent_id` and `agent_chain`. A
   * self-description that adds claims and grants nothing, so a registrant may set it.
   */
  agent?: boolean;
  agent_description?: string | null;
  /** Informational metadata kept with the client (client_uri, logo_uri, software_id…). */
  metadata?: Readonly<Record<string, unknown>>;
}

/** Who registered, for the audit trail, and which grant types this registration path may ask for. */
export interface RegistrationContext {
  /** `registration_source` of the client: `dcr`, `cimd`, or a plugin's own. */
  source: string;
  actor_id?: string | null;
  ip?: string | null;
  request_id?: string | null;
  /** Grant types this path allows; default: every grant the registry knows. */
  allowedGrantTypes?: readonly string[];
}

/** One rejected metadata field (`redirect_uris.0`) and why. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** A registration's outcome: expected validation failures are values, not exceptions. */
export type ClientRegistration =
  | {
      ok: true;
      client: Client;
      /** When the client was first registered (ms). */
      createdAt: number;
      /** The secret of a confidential client, returned this once. */
      clientSecret?: string;
      /** false when an existing client was refreshed (CIMD) rather than created. */
      created: boolean;
    }
  | { ok: false; problems: FieldProblem[] };

export interface ClientRegistry {
  get(clientId: string): Promise<Client | undefined>;
  /** Records `last_used_at`; writes are batched, never on the response path. */
  touch(clientId: string): void;
  /** Registers a new client with a generated id (DCR); audited as `client_registered`. */
  register(input: ClientMetadataInput, context: RegistrationContext): Promise<ClientRegistration>;
  /**
   * Creates or refreshes the client whose id is given by its owner (a CIMD URL) from its metadata; an existing
   * client keeps its status (a suspended one stays suspended) and every field an administrator set.
   */
  upsertWithId(clientId: string, input: ClientMetadataInput, context: RegistrationContext): Promise<ClientRegistration>;
  /** Deletes clients of one source whose last use (or creation, if never used) is before `unusedSince` (ms). */
  purgeUnused(source: string, unusedSince: number): Promise<number>;
}

declare module 'authplane' {
  interface Services {
    clients: ClientRegistry;
  }
}
