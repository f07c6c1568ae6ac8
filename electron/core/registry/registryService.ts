/**
 * The model registry's operations: register a run's ONNX file as a model version (signature read
 * with onnxruntime, feature spec settled, lineage taken from the run), resolve `NAME@V|@ALIAS`
 * references, and move aliases — through their gates when an alias has one (gates.ts).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { entities } from '../../../shared/entities.ts';
import {
  type Gate,
  type Lineage,
  ModelName,
  type ModelRef,
  type ModelTask,
  type ModelVersion,
  parseGateRule,
  type RegisterResult,
  type SetAliasResult,
} from '../../../shared/registry.ts';
import type { RunSpec } from '../../../shared/training.ts';
import type { DatasetService } from '../datasets/datasetService.ts';
import { conflict, invalidInput, notFound } from '../errors.ts';
import type { EventBus } from '../events.ts';
import { registeredAmong } from '../objects/blobIndex.ts';
import { makeDurable } from '../objects/durability.ts';
import type { ObjectStore } from '../objects/objectStore.ts';
import { takeLease } from '../objects/writeLease.ts';
import type { Db } from '../store/database.ts';
import type { Duck } from '../tabular/duckdb.ts';
import { scanSql, type TableFormat, tableFormatOf } from '../tabular/tableFormat.ts';
import type { TrackingRepo } from '../tracking/trackingRepo.ts';
import { type ContainerFile, openContainerFile, readTextStart } from '../training/containerFiles.ts';
import { runDirs } from '../training/containerRun.ts';
import { resolveFeatureSpec, type TableColumn } from './featureSpec.ts';
import { ModelRepo } from './modelRepo.ts';
import { readSignature } from './onnxModel.ts';

export interface RegistryDeps {
  home: string;
  db: Db;
  objects: ObjectStore;
  tracking: TrackingRepo;
  datasets: DatasetService;
  duck: Duck;
  events: EventBus;
}

/** A model file is read into the store in one piece; past this it is not a model a run made. */
const MAX_MODEL_BYTES = 4 * 1024 ** 3;

/** What a run's signature.json may say beside the model (see resources/recipes/*\/train.py). */
interface DeclaredSignature {
  task?: unknown;
  label?: unknown;
  classes?: unknown;
  inputs?: { name?: unknown; columns?: unknown }[];
}

export class RegistryService {
  readonly repo: ModelRepo;

  constructor(private readonly d: RegistryDeps) {
    this.repo = new ModelRepo(d.db);
  }

  /** The version a reference names: a number, an alias, or the latest. */
  resolve(ref: ModelRef): ModelVersion {
    if (ref.version !== undefined) return this.repo.version(ref.name, ref.version);
    if (ref.alias !== undefined) {
      const n = this.repo.aliasTarget(ref.name, ref.alias);
      if (n === undefined)
        throw notFound(
          `${ref.name} has no alias ${ref.alias}. Run \`mlwb model show ${ref.name}\` to see its aliases.`,
        );
      return this.repo.version(ref.name, n);
    }
    const latest = this.repo.latestNumber(ref.name);
    if (latest === undefined) throw notFound(`${ref.name} has no versions yet.`);
    return this.repo.version(ref.name, latest);
  }

  async register(p: {
    runId: string;
    name: string;
    path: string;
    label?: string;
    features?: string[];
    description: string;
  }): Promise<z.infer<typeof RegisterResult>> {
    const name = ModelName.safeParse(p.name);
    if (!name.success) throw invalidInput(name.error.issues.map((i) => i.message).join(' '));
    const run = this.d.tracking.run(p.runId);
    if (run.status !== 'FINISHED')
      throw invalidInput(`Run ${p.runId} is ${run.status}: only a FINISHED run's model can be registered.`);
    const row = this.d.tracking.runRow(p.runId);
    const spec = row.spec ? (JSON.parse(row.spec) as RunSpec) : null;
    const output = runDirs(this.d.home, p.runId).output;
    const rel = p.path.replace(/^\/+/, '');
    const file = openContainerFile(output, rel);
    if (!file)
      throw notFound(
        `Run ${p.runId} has no model file ${rel}. Its model is expected at model/model.onnx; name another file with --path.`,
      );

    const release = takeLease(this.d.db);
    const tmp = this.d.objects.tmpPath();
    try {
      const { sha256, size } = await copyOut(file, tmp, rel);
      const signature = await readSignature(tmp, `${rel} of run ${p.runId}`);
      const declared = this.declaredSignature(output, rel);
      const label = p.label ?? str(declared?.label) ?? str(run.params.label) ?? undefined;
      const features = resolveFeatureSpec({
        inputs: signature.inputs,
        explicit: p.features,
        declared: declaredColumns(declared),
        label,
        training: p.features ? undefined : await this.trainingColumns(spec),
      });
      const stat = fs.statSync(tmp, { bigint: true });
      const source = { size: Number(stat.size), mtimeNs: stat.mtimeNs };
      const put = this.d.objects.putFileSync(tmp, source);
      // Found in place, older than this machine's start and named by no committed record: it may
      // be what a power cut left at its name (StoreWorkers.checkFound), so this copy replaces it.
      if (put.stale && !registeredAmong(this.d.db, [sha256]).has(sha256))
        this.d.objects.putFileSync(tmp, source, { replace: true });
      await makeDurable(this.d.objects.root, [this.d.objects.pathFor(sha256)]);
      const classes = Array.isArray(declared?.classes) ? declared.classes.map(String) : null;
      const task = taskOf(declared, signature.outputs.length, classes);
      const version = this.repo.addVersion({
        name: name.data,
        sha256,
        size,
        source: `runs:/${p.runId}/${rel}`,
        runId: p.runId,
        inputs: signature.inputs,
        outputs: signature.outputs,
        features,
        classes,
        label: label ?? null,
        task,
        lineage: lineageOf(run, spec, row.image_digest),
        description: p.description,
      });
      return {
        name: name.data,
        version,
        sha256,
        inputs: signature.inputs,
        outputs: signature.outputs,
        features,
      };
    } finally {
      fs.rmSync(tmp, { force: true });
      release();
    }
  }

  /** The run's signature.json beside the model file, when it wrote one that parses. */
  private declaredSignature(output: string, modelRel: string): DeclaredSignature | undefined {
    const rel = path.posix.join(path.posix.dirname(modelRel), 'signature.json');
    let text: string | undefined;
    try {
      text = readTextStart(output, rel, 1024 * 1024);
    } catch {
      return undefined; // not a regular file: ignored, as any other thing a run leaves
    }
    if (!text) return undefined;
    try {
      const parsed = JSON.parse(text) as unknown;
      return parsed && typeof parsed === 'object' ? (parsed as DeclaredSignature) : undefined;
    } catch {
      return undefined;
    }
  }

  /** The columns of the first table in the run's `train` channel (else its only channel). */
  private async trainingColumns(
    spec: RunSpec | null,
  ): Promise<{ shownAs: string; columns: TableColumn[] } | undefined> {
    if (!spec?.datasets.length) return undefined;
    const input =
      spec.datasets.find((d) => d.channel === 'train') ??
      (spec.datasets.length === 1 ? spec.datasets[0] : undefined);
    if (!input) return undefined;
    let detail: ReturnType<DatasetService['show']>;
    try {
      detail = this.d.datasets.show(input.dataset, input.version);
    } catch {
      return undefined;
    }
    const entry = detail.entries.find((e) => tableFormatOf(e.path));
    if (!entry) return undefined;
    const columns = await describeTable(
      this.d.duck,
      this.d.objects.pathFor(entry.sha256),
      tableFormatOf(entry.path)!,
    );
    return { shownAs: `${input.dataset}@${input.version}:${entry.path}`, columns };
  }

  /** A model with its versions, the history of its aliases and its gates. */
  get(name: string) {
    return {
      model: this.repo.summaryOf(name),
      versions: this.repo.versions(name),
      history: this.repo.history(name),
      gates: this.repo.results.gates(name),
    };
  }

  update(p: { name: string; version?: number; description?: string }): void {
    if (p.version === undefined) this.repo.updateModel(p.name, { description: p.description });
    else this.repo.updateVersion(p.name, p.version, { description: p.description });
  }

  setTag(p: { name: string; version?: number; key: string; value: string }): void {
    if (p.version === undefined) this.repo.setModelTag(p.name, p.key, p.value);
    else this.repo.setVersionTag(p.name, p.version, p.key, p.value);
  }

  deleteTag(p: { name: string; version?: number; key: string }): boolean {
    const deleted =
      p.version === undefined
        ? this.repo.deleteModelTag(p.name, p.key)
        : this.repo.deleteVersionTag(p.name, p.version, p.key);
    return deleted;
  }

  deleteVersion(name: string, version: number): void {
    this.refuseIfDeployed(name, version);
    this.repo.deleteVersion(name, version);
  }

  removeAlias(name: string, alias: string, reason?: string): boolean {
    const removed = this.repo.removeAlias(name, alias, reason?.trim() || null);
    return removed;
  }

  setGate(p: {
    name: string;
    alias: string;
    dataset: string;
    datasetVersion?: number;
    path?: string;
    label: string;
    rules: string[];
  }): Gate {
    const rules = p.rules.map((text) => {
      const r = parseGateRule(text);
      if ('error' in r) throw invalidInput(r.error);
      return r;
    });
    // The data must exist now, not only when an alias is next moved.
    this.d.datasets.show(p.dataset, p.datasetVersion);
    const gate = this.repo.results.setGate(p.name, {
      alias: p.alias,
      dataset: p.dataset,
      datasetVersion: p.datasetVersion ?? null,
      path: p.path ?? null,
      label: p.label,
      rules,
    });
    return gate;
  }

  removeGate(name: string, alias: string): boolean {
    const removed = this.repo.results.removeGate(name, alias);
    return removed;
  }

  /**
   * Announces a change made outside the API (the MLflow registry endpoints); the API announces
   * its own methods' writes from their declarations (shared/contract.ts).
   */
  changed(name: string): void {
    this.d.events.changed(entities.models, entities.model(name));
  }

  /**
   * Told when an alias moved outside the API (the MLflow registry endpoints), so deployments that
   * follow it are replaced as they are after `models.setAlias` (set by workbench.ts).
   */
  onAliasMovedOutside: (name: string, alias: string) => void = () => {};

  /** The deployments serving a model (a version of it, when given); set by workbench.ts. */
  deployedAs: (name: string, version?: number) => string[] = () => [];

  /**
   * A deployed version cannot be deleted, nor its model deleted or renamed: the deployment would
   * lose what it serves (and could not be restarted or updated).
   */
  refuseIfDeployed(name: string, version?: number): void {
    const by = this.deployedAs(name, version);
    if (!by.length) return;
    const ref = version === undefined ? name : `${name}@${version}`;
    throw conflict(
      `${ref} is deployed (${by.join(', ')}). Move ${by.length > 1 ? 'those deployments' : 'that deployment'} to another version (\`mlwb deployments update\`) or remove ${by.length > 1 ? 'them' : 'it'} (\`mlwb deployments remove\`) first.`,
    );
  }

  /**
   * Points an alias at a version. With a gate on the alias the version must pass it first
   * (evaluated on the gate's data, reusing stored evaluations), unless forced with a reason.
   */
  async setAlias(
    p: { name: string; version: number; alias: string; force: boolean; reason?: string },
    checkGate: (version: number) => Promise<SetAliasResult['gate']>,
  ): Promise<SetAliasResult> {
    this.repo.version(p.name, p.version);
    const current = this.repo.aliasTarget(p.name, p.alias) ?? null;
    const gate = this.repo.results.gate(p.name, p.alias);
    if (p.force) {
      if (!p.reason?.trim()) throw invalidInput('A forced move needs a reason: add --reason TEXT.');
      const { from } = this.repo.moveAlias(p.name, p.alias, p.version, {
        kind: 'forced',
        reason: p.reason.trim(),
      });
      return { moved: true, from, to: p.version, kind: 'forced', gate: null };
    }
    if (current === p.version)
      return { moved: false, from: current, to: p.version, kind: 'manual', gate: null };
    const outcome = gate ? await checkGate(p.version) : null;
    if (outcome && !outcome.passed)
      return { moved: false, from: current, to: p.version, kind: 'gate', gate: outcome };
    const kind = outcome ? 'gate' : 'manual';
    const { from } = this.repo.moveAlias(p.name, p.alias, p.version, {
      kind,
      reason: p.reason?.trim() || null,
      expectedFrom: current,
    });
    return { moved: true, from, to: p.version, kind, gate: outcome };
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v : undefined;
}

function declaredColumns(s: DeclaredSignature | undefined): Record<string, string[]> | undefined {
  if (!Array.isArray(s?.inputs)) return undefined;
  const out: Record<string, string[]> = {};
  for (const i of s.inputs) {
    if (
      typeof i?.name === 'string' &&
      Array.isArray(i.columns) &&
      i.columns.every((c) => typeof c === 'string')
    )
      out[i.name] = i.columns as string[];
  }
  return out;
}

/** The task the run declared, else what the outputs suggest once evaluated (left open here). */
function taskOf(
  s: DeclaredSignature | undefined,
  _outputs: number,
  classes: string[] | null,
): ModelTask | null {
  if (s?.task === 'classification' || s?.task === 'regression') return s.task;
  return classes ? 'classification' : null;
}

function lineageOf(
  run: { id: string; name: string; experimentId: string; params: Record<string, string> },
  spec: RunSpec | null,
  imageDigest: string | null,
): Lineage {
  return {
    runId: run.id,
    runName: run.name,
    experimentId: run.experimentId,
    recipeName: spec?.recipe.name ?? null,
    recipeDigest: spec?.recipe.digest ?? null,
    image: spec?.image ?? null,
    imageDigest,
    datasets: spec?.datasets ?? [],
    params: run.params,
    seed: spec?.seed ?? null,
  };
}

/**
 * Copies an open run file to `dest` while hashing it, with asynchronous reads and writes so a large
 * model never holds up the event loop; the fd is closed.
 */
async function copyOut(
  file: ContainerFile,
  dest: string,
  rel: string,
): Promise<{ sha256: string; size: number }> {
  try {
    if (file.size > MAX_MODEL_BYTES)
      throw invalidInput(`${rel} is ${file.size} bytes; a model file of more than 4 GiB is not accepted.`);
    const hash = createHash('sha256');
    const out = await fsp.open(dest, 'wx', 0o600);
    const buf = Buffer.allocUnsafe(1024 * 1024);
    let at = 0;
    try {
      // Only the size it had when opened: a file still growing is not followed.
      while (at < file.size) {
        const n = await readAt(file.fd, buf, Math.min(buf.length, file.size - at), at);
        if (n === 0) break;
        hash.update(buf.subarray(0, n));
        await out.write(buf, 0, n);
        at += n;
      }
    } finally {
      await out.close();
    }
    return { sha256: hash.digest('hex'), size: at };
  } finally {
    file.close();
  }
}

function readAt(fd: number, buf: Buffer, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) =>
    fs.read(fd, buf, 0, length, position, (err, n) => (err ? reject(err) : resolve(n))),
  );
}

/** Column names and whether each is numeric, from DuckDB's reading of the table. */
export async function describeTable(duck: Duck, file: string, format: TableFormat): Promise<TableColumn[]> {
  return duck.withConnection(async (c) => {
    const reader = await c.runAndReadAll(`DESCRIBE SELECT * FROM ${scanSql(file, format)}`);
    return reader.getRowObjects().map((r) => ({
      name: String(r.column_name),
      numeric:
        /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL)/.test(
          String(r.column_type),
        ),
    }));
  });
}
