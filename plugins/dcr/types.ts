/**
 * The dcr plugin's `dcrSettings` service, as other plugins see it (`api.use('dcrSettings')`). Other plugins import
 * these types only (`import type`), so a build without the dcr plugin has none of its code.
 */

/** Who may register clients without an administrator. */
export type DcrMode = 'open' | 'approved_redirects' | 'admin_only';

/**
 * The self-registration policy. `admin_only` stops CIMD too, so the cimd plugin reads it here; the mode can change
 * at run time (`PATCH /admin/settings/dcr`), so it is read per use, not once.
 */
export interface DcrSettings {
  mode(): Promise<DcrMode>;
}

declare module 'authplane' {
  interface Services {
    dcrSettings: DcrSettings;
  }
}
