/**
 * Resolves what a user names as drift input — a file path, `dataset:NAME[@V][:PATH]`, or a file
 * dropped in browser mode — to a readable file, its format, and an identity by content (SHA-256)
 * that the stored report keeps.
 *
 * Resolving only checks the input; hashing a file that is not in the store yet is left to
 * `identity()`, so the caller can run it alongside the check instead of before it (two 130 MB
 * CSVs: half a second the check no longer waits for).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { DriftInputIdentity, DriftSource } from '../../../shared/drift.ts';
import type { DatasetService } from '../datasets/datasetService.ts';
import { invalidInput, notFound, WorkbenchError } from '../errors.ts';
import { hashFile, type ObjectStore } from '../objects/objectStore.ts';
import { tableFormatOf } from '../tabular/tableFormat.ts';
import { theUploadedFile } from '../uploads.ts';
import type { DriftFileFormat } from './driftSource.ts';

export interface ResolvedInput {
  file: string;
  format: DriftFileFormat;
  /** The input's identity; hashes the file when its digest is not known already. */
  identity: (signal?: AbortSignal) => Promise<DriftInputIdentity>;
  /** The columns to test when the user names none (a deployment's features). */
  columns?: string[];
  /** Staged uploads are removed once the check has read them. */
  cleanup?: () => Promise<void>;
}

export interface InputDeps {
  datasets: DatasetService;
  objects: ObjectStore;
  uploadDir: (upload: string) => string;
  /** `deployment:NAME[:SINCE]`: the deployment's logged rows (monitoring/monitorService.ts). */
  deployment?: (spec: string, signal?: AbortSignal) => Promise<ResolvedInput>;
}

/** `dataset:NAME[@V][:PATH]`. A name cannot contain "@", so "@" always starts the version. */
export function parseDatasetSpec(spec: string): { name: string; version?: number; path?: string } {
  const body = spec.slice('dataset:'.length);
  const at = body.indexOf('@');
  let name: string;
  let rest: string;
  if (at >= 0) {
    name = body.slice(0, at);
    rest = body.slice(at + 1);
    const m = /^([1-9][0-9]*)(?::(.+))?$/.exec(rest);
    if (!m)
      throw invalidInput(
        `"${spec}": after @ comes a version number, e.g. dataset:${name}@2 or dataset:${name}@2:train.csv.`,
      );
    return { name, version: Number(m[1]), path: m[2] };
  }
  const colon = body.indexOf(':');
  name = colon >= 0 ? body.slice(0, colon) : body;
  return { name, path: colon >= 0 ? body.slice(colon + 1) : undefined };
}

export async function resolveDriftInput(
  deps: InputDeps,
  source: DriftSource,
  side: string,
  signal?: AbortSignal,
): Promise<ResolvedInput> {
  if (typeof source !== 'string') return resolveUpload(deps, source, side);
  if (source.startsWith('dataset:')) return resolveDataset(deps, source, side);
  if (source.startsWith('deployment:')) {
    if (!deps.deployment)
      throw invalidInput(
        `${source}: deployments' traffic cannot be read here. Use a file or dataset:NAME[@V][:PATH].`,
      );
    return deps.deployment(source, signal);
  }
  return resolveFile(source, side);
}

async function resolveFile(file: string, side: string): Promise<ResolvedInput> {
  const abs = path.resolve(file);
  const st = await fs.stat(abs).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT')
      throw notFound(`There is no ${side} file at ${abs}. Check the path and try again.`);
    throw new WorkbenchError('IO', `Cannot read the ${side} file ${abs}: ${err.message}`);
  });
  if (!st.isFile())
    throw invalidInput(
      `The ${side} data at ${abs} is not a file. Point to a CSV, TSV, Parquet or JSON Lines file.`,
    );
  const format = tableFormatOf(abs);
  if (!format)
    throw invalidInput(
      `Cannot tell the format of ${abs} from its name. Use a .csv, .tsv, .parquet or .jsonl file.`,
    );
  return {
    file: abs,
    format,
    identity: async (signal) => ({
      kind: 'file',
      label: file,
      sha256: await hashFile(abs, { signal }),
      size: st.size,
      format,
      path: abs,
    }),
  };
}

async function resolveDataset(deps: InputDeps, spec: string, side: string): Promise<ResolvedInput> {
  const ref = parseDatasetSpec(spec);
  const version = deps.datasets.show(ref.name, ref.version);
  const tables = version.entries.filter((e) => tableFormatOf(e.path));
  let entry = ref.path === undefined ? undefined : version.entries.find((e) => e.path === ref.path);
  if (ref.path !== undefined && !entry) {
    throw notFound(
      `${ref.name}@${version.version} has no file ${ref.path}. Its tables: ${tables.map((t) => t.path).join(', ') || '(none)'}.`,
    );
  }
  if (!entry) {
    if (tables.length !== 1) {
      throw invalidInput(
        tables.length === 0
          ? `${ref.name}@${version.version} has no tabular file to use as ${side} data.`
          : `${ref.name}@${version.version} has ${tables.length} tables; name one: ${tables.map((t) => `dataset:${ref.name}@${version.version}:${t.path}`).join(', ')}.`,
      );
    }
    entry = tables[0]!;
  }
  const format = tableFormatOf(entry.path);
  if (!format) throw invalidInput(`${entry.path} is not a CSV, TSV, Parquet or JSON Lines file.`);
  const identity: DriftInputIdentity = {
    kind: 'dataset',
    label: `dataset:${ref.name}@${version.version}:${entry.path}`,
    sha256: entry.sha256,
    size: entry.size,
    format,
    dataset: ref.name,
    version: version.version,
    path: entry.path,
  };
  return { file: deps.objects.pathFor(entry.sha256), format, identity: async () => identity };
}

async function resolveUpload(
  deps: InputDeps,
  source: { upload: string; name?: string },
  side: string,
): Promise<ResolvedInput> {
  const dir = deps.uploadDir(source.upload);
  const file = await theUploadedFile(dir, `${side} data`);
  const name = path.basename(file);
  const format = tableFormatOf(name);
  if (!format) throw invalidInput(`${name} is not a CSV, TSV, Parquet or JSON Lines file.`);
  const st = await fs.stat(file);
  return {
    file,
    format,
    identity: async (signal) => ({
      kind: 'upload',
      label: source.name ?? name,
      sha256: await hashFile(file, { signal }),
      size: st.size,
      format,
    }),
    cleanup: () => fs.rm(dir, { recursive: true, force: true }),
  };
}
