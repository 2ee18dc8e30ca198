/**
 * The DCR mode: the configured one (`dcr.mode`, AUTHPLANE_DCR_MODE) unless an administrator switched it at run
 * time, which is stored in `dcr_settings` and wins from then on, across restarts. One operations object serves the
 * admin API, the CLI and the `dcrSettings` service that CIMD reads.
 */
import { bodyValidator, Type, type RuntimeApi } from 'authplane';
import type { DcrMode, DcrSettings } from './types.js';
import { DCR_MODES } from './schema.js';

const MODE_KEY = 'mode';
/**
 * The service answers from memory for this long: CIMD asks on every client lookup. A switch made here applies at
 * once, one made on another replica as soon as its announcement arrives (topic `dcr-mode`), at the latest within
 * the interval.
 */
const MODE_CACHE_MS = 5000;
export const DCR_MODE_TOPIC = 'dcr-mode';

export interface DcrModeView {
  mode: DcrMode;
  /** `runtime` when an administrator's switch is in force, `config` otherwise. */
  source: 'runtime' | 'config';
  configured_mode: DcrMode;
  updated_at: string | null;
  updated_by: string | null;
}

interface SettingRow {
  key: string;
  value: string;
  updated_by: string;
  updated_at: number | string;
}

export interface SettingsActor {
  actor_id: 'admin-api' | `user:${string}` | 'cli';
  ip?: string | null;
  request_id?: string | null;
}

export class DcrModeSettings implements DcrSettings {
  readonly #validate = bodyValidator(Type.Object({ mode: Type.Enum(DCR_MODES, { type: 'string' }) }, { additionalProperties: false }));
  #cached: { mode: DcrMode; at: number } | undefined;

  constructor(
    private readonly runtime: () => RuntimeApi,
    private readonly configured: DcrMode,
  ) {}

  /** Another replica switched the mode (or the channel reconnected): the next lookup reads the table. */
  forget(): void {
    this.#cached = undefined;
  }

  async mode(): Promise<DcrMode> {
    if (this.#cached && Date.now() - this.#cached.at < MODE_CACHE_MS) return this.#cached.mode;
    return (await this.view()).mode;
  }

  async view(): Promise<DcrModeView> {
    const row = (await this.runtime().db<SettingRow>('dcr_settings').where({ key: MODE_KEY }).first()) as SettingRow | undefined;
    // A value no longer valid (written by a newer version) falls back to the configured mode.
    const stored = row && (DCR_MODES as readonly string[]).includes(row.value) ? (row.value as DcrMode) : undefined;
    const view: DcrModeView = {
      mode: stored ?? this.configured,
      source: stored ? 'runtime' : 'config',
      configured_mode: this.configured,
      updated_at: stored ? new Date(Number(row!.updated_at)).toISOString() : null,
      updated_by: stored ? row!.updated_by : null,
    };
    this.#cached = { mode: view.mode, at: Date.now() };
    return view;
  }

  /** Stores the mode (`{mode}`, validated like any admin body) and audits the switch. */
  async set(body: unknown, actor: SettingsActor): Promise<DcrModeView> {
    const { mode } = this.#validate(body);
    const before = await this.view();
    const { db } = this.runtime();
    const row = { key: MODE_KEY, value: mode, updated_by: actor.actor_id, updated_at: Date.now() };
    await db('dcr_settings').insert(row).onConflict('key').merge(['value', 'updated_by', 'updated_at']);
    this.runtime().replicas.notify(DCR_MODE_TOPIC);
    this.runtime().audit.emit({
      action: 'dcr_mode_changed',
      actor_id: actor.actor_id,
      ip: actor.ip ?? null,
      request_id: actor.request_id ?? null,
      detail: { from: before.mode, to: mode },
    });
    this.runtime().log.info({ request_id: actor.request_id, from: before.mode, to: mode, actor: actor.actor_id }, 'dcr mode changed');
    return this.view();
  }
}
