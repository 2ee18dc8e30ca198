/** Shapes of a user as the admin API and the CLI write it. Shape is checked here; the password policy too. */
import { Type, type Static } from 'authplane';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './password.js';

export const ROLES = ['admin', 'user'] as const;
export const STATUSES = ['active', 'disabled'] as const;
export type Role = (typeof ROLES)[number];
export type UserStatus = (typeof STATUSES)[number];

/** Every writable field; create requires some of them, update none. Status changes through disable/enable. */
export const createUserSchema = Type.Object(
  {
    // RFC 5321 §4.5.3.1: at most 64 + 1 + 255 octets.
    email: Type.String({ format: 'email', maxLength: 320 }),
    name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
    password: Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: MAX_PASSWORD_LENGTH }),
    role: Type.Optional(Type.Enum(ROLES, { type: 'string' })),
  },
  { additionalProperties: false },
);

export const updateUserSchema = Type.Partial(createUserSchema, { minProperties: 1 });

export type UserFields = Static<typeof createUserSchema>;
export type UserPatch = Static<typeof updateUserSchema>;
