/**
 * The model server's configuration, read once from the environment at start. Everything the
 * packaging step bakes into an image (the model, its registry record) and everything a deployment
 * may change (port, limits, the mounted log folder) comes in this way, so one bundled server file
 * serves every model. A bad setting stops the server at start with a message naming the variable.
 */
import fs from 'node:fs';
import os from 'node:os';

export interface TensorSpec {
  name: string;
  /** onnxruntime's element type name: float32, float64, int32, int64, bool, string… */
  type: string;
  /** `-1` marks a dynamic dimension. */
  shape: number[];
}

/** What the registry records of a model version, as far as serving needs it. */
export interface ModelMeta {
  name: string;
  version: number;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /** The named feature column behind each column of each input tensor, in order. */
  features: Record<string, string[]>;
  classes: string[] | null;
  task: 'classification' | 'regression' | null;
}

export interface ServerConfig {
  modelPath: string;
  meta: ModelMeta;
  port: number;
  host: string;
  maxBodyBytes: number;
  /** Where request log lines go; undefined turns the request log off. */
  requestLogDir: string | undefined;
  logMaxBytes: number;
  logFiles: number;
  /** onnxruntime's threads per inference (MLWB_INTRA_OP_THREADS, default 1). */
  intraOpThreads: number;
  /**
   * Server processes, each with its own session (MLWB_SERVER_WORKERS; default the CPUs this
   * process may use, at most DEFAULT_MAX_WORKERS). 1 serves from this process alone.
   */
  workers: number;
}

export class ConfigError extends Error {}

/**
 * The most server processes started unasked: each holds its own copy of the model and its own
 * threads, and a container's memory and process limits are sized for a few (a deployment's: 1 GiB
 * and 256 tasks). MLWB_SERVER_WORKERS sets more.
 */
export const DEFAULT_MAX_WORKERS = 4;

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min)
    throw new ConfigError(`${name} must be an integer of at least ${min}, not "${raw}".`);
  return n;
}

function isTensorSpec(v: unknown): v is TensorSpec {
  const t = v as TensorSpec;
  return (
    typeof t === 'object' &&
    t !== null &&
    typeof t.name === 'string' &&
    typeof t.type === 'string' &&
    Array.isArray(t.shape) &&
    t.shape.every((d) => Number.isInteger(d))
  );
}

/** Checks the registry record by hand: the server carries no validation library. */
export function parseModelMeta(text: string, shownAs: string): ModelMeta {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${shownAs} is not JSON: ${(err as Error).message}`);
  }
  const m = raw as Record<string, unknown>;
  const bad = (field: string, expected: string) =>
    new ConfigError(`${shownAs}: "${field}" must be ${expected}.`);
  if (typeof m !== 'object' || m === null) throw new ConfigError(`${shownAs} must hold a JSON object.`);
  if (typeof m.name !== 'string' || !m.name) throw bad('name', 'the model name');
  if (!Number.isInteger(m.version)) throw bad('version', 'the version number');
  if (!Array.isArray(m.inputs) || !m.inputs.every(isTensorSpec))
    throw bad('inputs', 'a list of tensor specs');
  if (!Array.isArray(m.outputs) || !m.outputs.every(isTensorSpec))
    throw bad('outputs', 'a list of tensor specs');
  const features = m.features ?? {};
  if (
    typeof features !== 'object' ||
    features === null ||
    !Object.values(features).every((cols) => Array.isArray(cols) && cols.every((c) => typeof c === 'string'))
  )
    throw bad('features', 'an object of column-name lists by input');
  const classes = m.classes ?? null;
  if (classes !== null && !(Array.isArray(classes) && classes.every((c) => typeof c === 'string')))
    throw bad('classes', 'a list of class labels or null');
  const task = m.task ?? null;
  if (task !== null && task !== 'classification' && task !== 'regression')
    throw bad('task', '"classification", "regression" or null');
  return {
    name: m.name,
    version: m.version as number,
    inputs: m.inputs,
    outputs: m.outputs,
    features: features as Record<string, string[]>,
    classes,
    task,
  };
}

/**
 * The CPUs this process may use: its affinity (os.availableParallelism honours a cpuset), capped
 * by a cgroup CPU quota (`docker run --cpus`), which Node does not read itself.
 */
export function usableCpus(): number {
  const cpus = os.availableParallelism();
  const read = (file: string) => {
    try {
      return fs.readFileSync(file, 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  let quota: number | undefined;
  const v2 = read('/sys/fs/cgroup/cpu.max')?.split(' ');
  if (v2 && v2[0] !== 'max') quota = Number(v2[0]) / Number(v2[1]);
  else {
    const q = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'));
    const period = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_period_us'));
    if (q > 0 && period > 0) quota = q / period;
  }
  return quota && Number.isFinite(quota) ? Math.max(1, Math.min(cpus, Math.ceil(quota))) : cpus;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const modelPath = env.MLWB_MODEL_PATH;
  if (!modelPath) throw new ConfigError('MLWB_MODEL_PATH must name the .onnx file to serve.');
  const metaPath = env.MLWB_MODEL_META;
  if (!metaPath) throw new ConfigError("MLWB_MODEL_META must name the model's registry record (JSON).");
  let metaText: string;
  try {
    metaText = fs.readFileSync(metaPath, 'utf8');
  } catch (err) {
    throw new ConfigError(`MLWB_MODEL_META: cannot read ${metaPath}: ${(err as Error).message}`);
  }
  return {
    modelPath,
    meta: parseModelMeta(metaText, metaPath),
    port: integer(env, 'PORT', 8080, 0),
    host: env.HOST || '0.0.0.0',
    maxBodyBytes: integer(env, 'MLWB_MAX_BODY_BYTES', 64 * 1024 * 1024, 1),
    requestLogDir: env.MLWB_REQUEST_LOG_DIR || undefined,
    logMaxBytes: integer(env, 'MLWB_LOG_MAX_BYTES', 16 * 1024 * 1024, 1024),
    logFiles: integer(env, 'MLWB_LOG_FILES', 5, 1),
    intraOpThreads: integer(env, 'MLWB_INTRA_OP_THREADS', 1, 1),
    workers: integer(env, 'MLWB_SERVER_WORKERS', Math.min(usableCpus(), DEFAULT_MAX_WORKERS), 1),
  };
}
