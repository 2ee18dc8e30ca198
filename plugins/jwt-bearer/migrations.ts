import { xaa0001 } from '../../migrations/jwt-bearer/0001_xaa.js';
import { xaa0002 } from '../../migrations/jwt-bearer/0002_xaa_paging.js';

/** Every migration of the jwt-bearer plugin, in order. Forward-only; names never change once released. */
export const jwtBearerMigrations = [xaa0001, xaa0002];
