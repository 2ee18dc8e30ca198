import type { AuthPlane } from '../app.js';

export interface CliOption {
  type: 'string' | 'boolean';
  description: string;
  short?: string;
}

export interface CliContext {
  /** Positional arguments after the command words. */
  args: string[];
  options: Record<string, string | boolean | undefined>;
  out: (line: string) => void;
  /**
   * The server with its database open, migrated and plugins initialized — but not listening. The CLI stops it
   * after the command returns or throws.
   */
  boot(): Promise<AuthPlane>;
  /** The server registered but not booted (no database): for commands that only read config. */
  server: AuthPlane;
}

/** A command of `authserver`, registered by name (`'admin key rotate'`) in the `cliCommands` registry. */
export interface CliCommand {
  description: string;
  /** Shown after the command words in `--help`, e.g. `<client-id>`. */
  usage?: string;
  options?: Record<string, CliOption>;
  /** Exit code; undefined means 0. */
  run(ctx: CliContext): Promise<number | void>;
}

/** A command that needs the database: boots first (the CLI stops the server afterwards). */
export function booted(run: (ctx: CliContext) => Promise<number | void>): CliCommand['run'] {
  return async (ctx) => {
    await ctx.boot();
    return run(ctx);
  };
}
