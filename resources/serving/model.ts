/**
 * The served model: loaded once with onnxruntime-node, warmed up with one zero row (so the first
 * caller does not pay for onnxruntime's lazy initialisation), then run for every request. Inputs
 * and outputs are described from the session itself, which is what the model really takes; the
 * registry record only adds names (features, classes) on top.
 */
import fs from 'node:fs/promises';
import type * as Ort from 'onnxruntime-node';
import type { ModelMeta, TensorSpec } from './config.ts';
import type { TypedData } from './tensors.ts';

export interface Feed {
  data: TypedData;
  shape: number[];
  /**
   * The checked JSON values the data was made from, when they were numbers or booleans already:
   * what the request log records (5.1, not float32's 5.099999904632568).
   */
  sent?: readonly unknown[];
}

export interface OutputTensor {
  name: string;
  type: string;
  shape: number[];
  data: unknown;
}

type Session = Awaited<ReturnType<typeof Ort.InferenceSession.create>>;

/**
 * onnxruntime, loaded with the first model: the primary of several server processes (cluster.ts)
 * runs no model, and starts sooner without loading the native runtime.
 */
let ort: typeof Ort;
let loading: Promise<typeof Ort> | undefined;

/** Starts loading onnxruntime now, while other start-up work goes on (a worker awaiting its model). */
export function loadRuntime(): Promise<typeof Ort> {
  loading ??= import('onnxruntime-node').then((m) => {
    ort = m;
    return m;
  });
  return loading;
}
type Metadata = Session['inputMetadata'][number];

function specOf(m: Metadata): TensorSpec {
  if (!m.isTensor) return { name: m.name, type: 'non-tensor', shape: [] };
  return {
    name: m.name,
    type: m.type,
    shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)),
  };
}

export class LoadedModel {
  readonly inputs: TensorSpec[];
  readonly outputs: TensorSpec[];
  readonly inputByName: Map<string, TensorSpec>;
  readonly outputByName: Map<string, TensorSpec>;

  private constructor(
    private readonly session: Session,
    readonly meta: ModelMeta,
    readonly loadSeconds: number,
  ) {
    this.inputs = session.inputMetadata.map(specOf);
    this.outputs = session.outputMetadata.map(specOf);
    this.inputByName = new Map(this.inputs.map((i) => [i.name, i]));
    this.outputByName = new Map(this.outputs.map((o) => [o.name, o]));
  }

  /**
   * Reads the file asynchronously (it may sit on a slow mount), unless its bytes are given, and
   * creates the session.
   */
  static async load(
    source: string | Uint8Array,
    meta: ModelMeta,
    intraOpThreads: number,
  ): Promise<LoadedModel> {
    const started = performance.now();
    const bytes = typeof source === 'string' ? await fs.readFile(source) : source;
    await loadRuntime();
    // One thread per inference by default: requests run side by side already, and onnxruntime's
    // spinning pool threads would take CPU from them for a gain only large batches see.
    const session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
    });
    return new LoadedModel(session, meta, (performance.now() - started) / 1000);
  }

  async run(feeds: Map<string, Feed>, outputNames?: readonly string[]): Promise<OutputTensor[]> {
    const onnxFeeds: Record<string, Ort.Tensor> = {};
    for (const [name, feed] of feeds) {
      const spec = this.inputByName.get(name)!;
      onnxFeeds[name] = new ort.Tensor(spec.type as 'float32', feed.data as Float32Array, feed.shape);
    }
    const names = outputNames ?? this.session.outputNames;
    const result = await this.session.run(onnxFeeds, names as string[]);
    const out: OutputTensor[] = [];
    for (const name of names) {
      const t = result[name]!;
      out.push({ name, type: t.type, shape: t.dims.slice(), data: t.data });
    }
    return out;
  }

  /** One inference on a zero row per input (dynamic dimensions as 1); returns its seconds. */
  async warmUp(): Promise<number> {
    const started = performance.now();
    const feeds = new Map<string, Feed>();
    for (const input of this.inputs) {
      const shape = input.shape.map((d) => (d < 0 ? 1 : d));
      let n = 1;
      for (const d of shape) n *= d;
      feeds.set(input.name, { data: zeros(input.type, n), shape });
    }
    await this.run(feeds);
    return (performance.now() - started) / 1000;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

function zeros(type: string, n: number): TypedData {
  switch (type) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'bool':
    case 'uint8':
      return new Uint8Array(n);
    case 'string':
      return new Array<string>(n).fill('');
    default:
      throw new Error(`The model takes an input of type ${type}, which the server cannot warm up.`);
  }
}
