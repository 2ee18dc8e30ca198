/** The resources plugin's own error codes, listed under it in docs/errors.md. */
import { defineErrors } from 'authplane';

export const resourceErrors = defineErrors('resources', {
  SEED_INVALID: 'A resource to seed at boot (`resources.seed[i]` or `AUTHPLANE_RESOURCE_URI`) is not a valid resource (URI, slug, scopes, lengths); the message names the seed and what is wrong.',
});
