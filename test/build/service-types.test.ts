/**
 * The `Services` a plugin uses are declared by the plugin that provides them (`declare module 'authplane'` in its
 * types.ts), not by the kernel. This checks the merge where a user meets it: the published declaration files
 * (`tsc -p tsconfig.build.json`), installed as `node_modules/authplane` of a scratch project, and a plugin of the
 * user's own type-checked against them. (Against the sources, `npm test`'s own `tsc --noEmit` is the check.)
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../helpers/server.js';

const run = promisify(execFile);
const TSC = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
const project = mkdtempSync(join(tmpdir(), 'authplane-types-'));
after(() => rmSync(project, { recursive: true, force: true }));

before(async () => {
  const pkg = join(project, 'node_modules/authplane');
  mkdirSync(pkg, { recursive: true });
  cpSync(join(REPO_ROOT, 'package.json'), join(pkg, 'package.json'));
  await run(process.execPath, [TSC, '-p', join(REPO_ROOT, 'tsconfig.build.json'), '--emitDeclarationOnly', '--outDir', join(pkg, 'dist')], {
    cwd: REPO_ROOT,
    timeout: 300_000,
  });
  // The declarations import knex, koa, pino…: the repository's own installs stand in for the user's.
  for (const name of readdirSync(join(REPO_ROOT, 'node_modules'))) {
    if (name !== 'authplane' && !name.startsWith('.')) symlinkSync(join(REPO_ROOT, 'node_modules', name), join(project, 'node_modules', name));
  }
});

/** tsc's diagnostics for one file of the scratch project, as a user's `tsc --noEmit` prints them ('' when clean). */
async function typeErrors(name: string, source: string): Promise<string> {
  writeFileSync(join(project, name), source);
  const config = { compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'] }, files: [name] };
  writeFileSync(join(project, `tsconfig.${name}.json`), JSON.stringify(config));
  try {
    await run(process.execPath, [TSC, '-p', `tsconfig.${name}.json`], { cwd: project, timeout: 300_000 });
    return '';
  } catch (err) {
    return String((err as { stdout?: string }).stdout);
  }
}

const PLUGIN = (body: string, imports = "import type { Resource } from 'authplane/plugins';") => `import { definePlugin } from 'authplane';
${imports}

export const probe = definePlugin({
  name: 'probe',
  dependsOn: ['clients', 'resources', 'users', 'dcr'],
  register(api) {
${body}
  },
});
`;

test("a user's plugin gets the built-in plugins' services typed from the published declarations", async () => {
  const errors = await typeErrors(
    'uses.ts',
    PLUGIN(`    const rt = api.runtime();
    const resource: Promise<Resource | undefined> = rt.use('resources').resolve('https://mcp.example.com/mcp');
    const user = rt.use('users').findByEmail('ada@example.com');
    const mode = rt.use('dcrSettings').mode();
    rt.use('clients').touch('client');
    void resource; void user; void mode;`),
  );
  assert.equal(errors, '');
});

test('the merged service types are the real ones, and a service nobody declares is refused', async () => {
  const errors = await typeErrors(
    'misuses.ts',
    PLUGIN(`    const n: number = api.runtime().use('resources').resolve('x');
    api.runtime().use('nosuch');
    const r: Resource | undefined = undefined; void r; void n;`),
  );
  assert.match(errors, /misuses\.ts\(\d+,\d+\): error TS2322: Type 'Promise<Resource \| undefined>' is not assignable to type 'number'/);
  assert.match(errors, /error TS2345: Argument of type '"nosuch"' is not assignable to parameter of type 'keyof Services'/);
});

test("without importing 'authplane/plugins' no built-in service is declared: the kernel promises none", async () => {
  const errors = await typeErrors('kernel-only.ts', PLUGIN(`    void api.runtime().use('resources');`, ''));
  assert.match(errors, /error TS2345: Argument of type '"resources"' is not assignable to parameter of type 'never'/);
});
