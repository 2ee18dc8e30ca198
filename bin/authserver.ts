#!/usr/bin/env node
import { runCli } from 'authplane';
import { defaultPlugins } from '../plugins/preset-default.js';

const code = await runCli(process.argv.slice(2), { defaultPlugins });
process.exitCode = code;
// The command is over (for serve: listeners closed, in-flight requests drained or cut at shutdown.timeout, database
// closed). A handler still running after its connection was cut must not keep the process alive; the timer is
// unref'd, so a normal exit never waits for it.
setTimeout(() => process.exit(code), 1000).unref();
