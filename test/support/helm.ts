// Finds a helm binary and renders helm/bi-scim into parsed manifests (and its NOTES), with accessors for the chart tests.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

export const chartDir = fileURLToPath(new URL('../../helm/bi-scim/', import.meta.url));

export const HELM_INSTALL_HINT =
  'no helm binary: run `bash .ci/helm.sh` (builds the pinned helm into ~/.cache/bi-scim), then ' +
  'export BI_SCIM_HELM="$(cat ~/.cache/bi-scim/helm-path)"; or put helm v3 on PATH';

const HELM_TIMEOUT_MS = 30_000;

/** BI_SCIM_HELM, else `helm` on PATH; null when neither answers `helm version`. */
export function findHelm(env: Record<string, string | undefined> = process.env): string | null {
  for (const candidate of [env.BI_SCIM_HELM, 'helm']) {
    if (!candidate) continue;
    const probe = spawnSync(candidate, ['version', '--short'], { timeout: HELM_TIMEOUT_MS, encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  return null;
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // Rendered Kubernetes objects are checked field by field; their full types would add nothing here.
  spec?: any;
  data?: Record<string, string>;
  /** Top-level fields of kinds without a spec (ServiceAccount, …). */
  [field: string]: unknown;
}

export interface Render {
  /** helm's exit status: 0 when the chart rendered. */
  status: number | null;
  stderr: string;
  /** The raw manifest text, for assertions that a value appears nowhere. */
  text: string;
  manifests: Manifest[];
}

export interface RenderOptions {
  /** Values files, relative to the chart (e.g. ci/default-values.yaml). */
  valuesFiles?: string[];
  /** Deep-merged over the files, as one more values file. */
  values?: Record<string, unknown>;
  releaseName?: string;
  namespace?: string;
}

function runHelm(helm: string, args: string[], values: Record<string, unknown> | undefined): { status: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bi-scim-helm-'));
  try {
    const extra = values ? ['-f', join(dir, 'overrides.yaml')] : [];
    if (values) writeFileSync(join(dir, 'overrides.yaml'), JSON.stringify(values));
    const run = spawnSync(helm, [...args, ...extra], { timeout: HELM_TIMEOUT_MS, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    return { status: run.status, stdout: run.stdout ?? '', stderr: run.stderr ?? String(run.error ?? '') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function templateArgs(chart: string, options: RenderOptions): string[] {
  const files = (options.valuesFiles ?? []).flatMap((file) => ['-f', join(chart, file)]);
  return ['template', options.releaseName ?? 'scim', chart, '--namespace', options.namespace ?? 'identity', ...files];
}

export function renderChart(helm: string, options: RenderOptions = {}): Render {
  const run = runHelm(helm, templateArgs(chartDir, options), options.values);
  const manifests =
    run.status === 0
      ? parseAllDocuments(run.stdout)
          .map((doc) => doc.toJS() as Manifest)
          .filter(Boolean)
      : [];
  return { status: run.status, stderr: run.stderr, text: run.stdout, manifests };
}

/**
 * NOTES.txt as `helm install` would print it. `helm template` leaves NOTES out and `helm install --dry-run` wants
 * a cluster, so a copy of the chart renders the same file through `tpl` inside a ConfigMap.
 */
export function renderNotes(helm: string, options: RenderOptions = {}): string {
  const copy = mkdtempSync(join(tmpdir(), 'bi-scim-notes-'));
  try {
    cpSync(chartDir, copy, { recursive: true });
    cpSync(join(copy, 'templates', 'NOTES.txt'), join(copy, 'notes.txt'));
    writeFileSync(
      join(copy, 'templates', 'zz-notes.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ tpl (.Files.Get "notes.txt") . | quote }}\n',
    );
    const run = runHelm(helm, [...templateArgs(copy, options), '--show-only', 'templates/zz-notes.yaml'], options.values);
    if (run.status !== 0) throw new Error(`helm could not render NOTES.txt: ${run.stderr}`);
    return (parse(run.stdout) as Manifest).data?.notes ?? '';
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

export function findManifest(manifests: Manifest[], kind: string, name?: string): Manifest | undefined {
  return manifests.find((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
}

export function kinds(manifests: Manifest[]): string[] {
  return manifests.map((m) => m.kind).sort();
}

/** Renders or fails the test with helm's own message. */
export function render(helm: string, options: RenderOptions): Manifest[] {
  const result = renderChart(helm, options);
  if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return result.manifests;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}

export const must = (m: Manifest | undefined, what: string): Manifest => m ?? expect.fail(`no ${what} rendered`);
export const deployment = (ms: Manifest[]) => must(findManifest(ms, 'Deployment'), 'Deployment');
export const podSpec = (ms: Manifest[]) => deployment(ms).spec.template.spec;
export const server = (ms: Manifest[]) => podSpec(ms).containers[0];
export const envOf = (container: { env: EnvVar[] }) => new Map(container.env.map((e) => [e.name, e]));
export const plainEnv = (ms: Manifest[]): Record<string, string> =>
  Object.fromEntries(
    server(ms)
      .env.filter((e: EnvVar) => 'value' in e)
      .map((e: EnvVar) => [e.name, e.value]),
  );
export const secretRef = (ms: Manifest[], name: string) => envOf(server(ms)).get(name)?.valueFrom?.secretKeyRef;
export const decoded = (secret: Manifest) => Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
export const ci = (name: string): RenderOptions => ({ valuesFiles: [`ci/${name}-values.yaml`] });
