/**
 * `npm run bench`: every benchmark in turn, each printing its own table. Figures are printed, never asserted;
 * absolute numbers drift between runs on shared machines, ratios to oidc-provider from the same run do not.
 * Flags are shared (see lib/options.ts), e.g. `npm run bench -- --smoke`.
 */
import { benchColdStart } from './cold-start.js';
import { benchOptions } from './lib/options.js';
import { benchWellKnown } from './wellknown.js';

const options = benchOptions();
const sections = [await benchColdStart(options), await benchWellKnown(options)];
console.log(sections.map((s) => s.text).join('\n\n'));
