import { fullFormats } from 'ajv-formats/dist/formats.js';

/**
 * The string formats config schemas use, as plain functions: the run-time validator registers them with ajv, and
 * the validators precompiled at build time (scripts/precompile-config.mjs) import them from here.
 */

function isAbsoluteHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.host !== '';
  } catch {
    return false;
  }
}

export const CONFIG_FORMATS: Record<string, (value: string) => boolean> = {
  'issuer-url': (value) => {
    if (!isAbsoluteHttpUrl(value)) return false;
    const url = new URL(value);
    return url.search === '' && url.hash === '' && !value.includes('#') && !value.includes('?');
  },
  'listen-address': (value) => {
    const match = /^(.*):(\d{1,5})$/.exec(value);
    return match !== null && Number(match[2]) <= 65535;
  },
  origin: (value) => value === '*' || (isAbsoluteHttpUrl(value) && new URL(value).origin === value),
  /** RFC 3986 absolute URI, ajv-formats' own check (the one admin API bodies use). */
  uri: fullFormats.uri as (value: string) => boolean,
};
