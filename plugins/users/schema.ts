/** Shapes of a user as the admin API and the CLI write it. Shape is checked here; the password policy too. */
import type { JsonSchema } from 'authplane';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './password.js';

export const ROLES = ['admin', 'user'] as const;
export const STATUSES = ['active', 'disabled'] as const;
export type Role = (typeof ROLES)[number];
export type UserStatus = (typeof STATUSES)[number];

/** Every writable field; create requires some of them, update none. Status changes through disable/enable. */
export interface UserFields {
  email: string;
  name: string;
  password: string;
  role: Role;
}

export type UserPatch = Partial<UserFields>;

const fieldSchemas: Record<keyof UserFields, JsonSchema> = {
  // RFC 5321 §4.5.3.1: at most 64 + 1 + 255 octets.
  email: { type: 'string', format: 'email', maxLength: 320 },
  name: { type: 'string', minLength: 1, maxLength: 200, pattern: '\\S' },
  password: { type: 'string', minLength: MIN_PASSWORD_LENGTH, maxLength: MAX_PASSWORD_LENGTH },
  role: { type: 'string', enum: ROLES },
};

export const createUserSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['email', 'name', 'password'],
  properties: fieldSchemas,
};

export const updateUserSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: fieldSchemas,
};
