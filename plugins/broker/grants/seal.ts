/**
 * How a grant's tokens are sealed: one purpose for every grant ciphertext, and the row's identity as associated data,
 * so a ciphertext copied into another user's or provider's row fails to authenticate instead of vending that token.
 */
export const GRANT_PURPOSE = 'broker_grant';

export const grantAad = (userId: string, providerId: string): string => `broker_grants/${userId}/${providerId}`;
