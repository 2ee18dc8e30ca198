#!/usr/bin/env node
import { runCli } from 'authplane';
import { defaultPlugins } from '../plugins/preset-default.js';

const code = await runCli(process.argv.slice(2), { defaultPlugins });
process.exitCode = code;
