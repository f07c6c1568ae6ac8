/**
 * The model side of an evaluation: an onnxruntime-node session, the input tensors built from the
 * feature columns (row-major, in each input's element type), and which output the predictions are
 * read from. onnxruntime-node (~0.2 s to load) is imported by the first evaluation, never when this
 * module is.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { invalidInput } from '../errors.ts';

export interface TensorSpec {
  name: string;
  /** The element type, as onnxruntime names it: float32, float64, int32, int64, bool, … */
  type: string;
  /** −1 for a dynamic dimension. */
  shape: number[];
}

const loadOrt = () => import('onnxruntime-node');

type InputArray =
  | Float32Array
  | Float64Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array;
const inputArrays: Record<string, (n: number) => InputArray> = {
  float32: (n) => new Float32Array(n),
  float64: (n) => new Float64Array(n),
  int32: (n) => new Int32Array(n),
  int64: (n) => new BigInt64Array(n),
  bool: (n) => new Uint8Array(n),
  int8: (n) => new Int8Array(n),
  uint8: (n) => new Uint8Array(n),
  int16: (n) => new Int16Array(n),
  uint16: (n) => new Uint16Array(n),
};
export const floatTypes = new Set(['float32', 'float64', 'float16']);
export const integerTypes = new Set([
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
]);

/** One input tensor and the positions of its feature columns among the table's columns. */
export interface InputPlan {
  spec: TensorSpec;
  columns: number[];
}

export class OnnxModel {
  private readonly buffers = new Map<string, InputArray>();

  private constructor(
    private readonly session: InferenceSession,
    private readonly TensorCtor: typeof Tensor,
  ) {}

  static async load(modelPath: string): Promise<OnnxModel> {
    const ort = await loadOrt();
    try {
      return new OnnxModel(await ort.InferenceSession.create(modelPath), ort.Tensor);
    } catch (err) {
      throw invalidInput(
        `onnxruntime could not load the model at ${modelPath}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /**
   * Runs one batch: builds each input from the batch's feature columns and returns the chosen
   * output's data and dimensions.
   */
  async run(
    inputs: readonly InputPlan[],
    features: readonly (Float32Array | Float64Array)[],
    rows: number,
    output: string,
  ): Promise<{ data: ArrayLike<number> | BigInt64Array; dims: readonly number[] }> {
    const feeds: Record<string, Tensor> = {};
    for (const { spec, columns } of inputs) {
      const width = columns.length;
      const data = this.buffer(spec, rows * width);
      if (data instanceof BigInt64Array) {
        for (let j = 0; j < width; j++) {
          const col = features[columns[j]!]!;
          for (let r = 0; r < rows; r++) data[r * width + j] = BigInt(Math.trunc(col[r]!));
        }
      } else {
        for (let j = 0; j < width; j++) {
          const col = features[columns[j]!]!;
          for (let r = 0; r < rows; r++) data[r * width + j] = col[r]!;
        }
      }
      const dims = spec.shape.length === 1 ? [rows] : [rows, width];
      feeds[spec.name] = new this.TensorCtor(spec.type as 'float32', data as Float32Array, dims);
    }
    const result = await this.session.run(feeds, [output]);
    const tensor = result[output]!;
    return { data: tensor.data as ArrayLike<number>, dims: tensor.dims };
  }

  /**
   * The input's array for this many values: one per input, grown when needed and reused across
   * batches (a fresh array per batch costs page faults, not just the writes).
   */
  private buffer(spec: TensorSpec, size: number): InputArray {
    let buffer = this.buffers.get(spec.name);
    if (!buffer || buffer.length < size) {
      buffer = inputArrays[spec.type]!(size);
      this.buffers.set(spec.name, buffer);
    }
    return buffer.length === size ? buffer : (buffer.subarray(0, size) as InputArray);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Checks each input against its feature spec and places its columns: rank 2 [batch, features]
 * (or rank 1 with one feature), a dynamic batch dimension, a supported element type.
 */
export function planInputs(
  inputs: readonly TensorSpec[],
  featureSpec: Readonly<Record<string, readonly string[]>>,
  sessionInputs: readonly string[],
): { plans: InputPlan[]; columns: string[] } {
  const columns: string[] = [];
  const at = new Map<string, number>();
  const plans = inputs.map((spec) => {
    if (!sessionInputs.includes(spec.name))
      throw invalidInput(`The model has no input "${spec.name}" (its inputs: ${sessionInputs.join(', ')}).`);
    const names = featureSpec[spec.name];
    if (!names?.length)
      throw invalidInput(`The feature spec names no columns for the model input "${spec.name}".`);
    if (!inputArrays[spec.type])
      throw invalidInput(
        `The model input "${spec.name}" takes ${spec.type} values, which evaluation cannot build from table columns.`,
      );
    const [batch, width] = spec.shape;
    const shapeText = `[${spec.shape.join(', ')}]`;
    if (spec.shape.length < 1 || spec.shape.length > 2 || (spec.shape.length === 1 && names.length !== 1))
      throw invalidInput(
        `The model input "${spec.name}" has shape ${shapeText}; evaluation feeds [rows, features] tensors (${names.length} features in the spec).`,
      );
    if (batch !== -1 && batch !== undefined)
      throw invalidInput(
        `The model input "${spec.name}" takes a fixed batch of ${batch} rows (shape ${shapeText}); export it with a dynamic first dimension.`,
      );
    if (width !== undefined && width !== -1 && width !== names.length)
      throw invalidInput(
        `Shape mismatch: the model input "${spec.name}" takes ${width} features (shape ${shapeText}) but the feature spec names ${names.length}.`,
      );
    return {
      spec,
      columns: names.map((name) => {
        let index = at.get(name);
        if (index === undefined) {
          index = columns.length;
          at.set(name, index);
          columns.push(name);
        }
        return index;
      }),
    };
  });
  const missing = sessionInputs.filter((name) => !inputs.some((i) => i.name === name));
  if (missing.length)
    throw invalidInput(`The signature leaves out the model input(s) ${missing.join(', ')}.`);
  return { plans, columns };
}

/**
 * The output predictions are read from: a float output (probabilities or a regression value) is
 * preferred — one whose name mentions probabilities first — over an integer label output, as
 * the example classifier exports both.
 */
export function chooseOutput(outputs: readonly TensorSpec[], sessionOutputs: readonly string[]): TensorSpec {
  const usable = outputs.filter((o) => sessionOutputs.includes(o.name));
  const floats = usable.filter((o) => floatTypes.has(o.type) && o.type !== 'float16');
  const chosen =
    floats.find((o) => /prob/i.test(o.name)) ?? floats[0] ?? usable.find((o) => integerTypes.has(o.type));
  if (!chosen)
    throw invalidInput(
      `The model has no numeric tensor output to read predictions from (outputs: ${outputs.map((o) => `${o.name}: ${o.type}`).join(', ') || 'none'}).`,
    );
  return chosen;
}

/** Columns of an output from its declared shape: [N] and [N, 1] are one; undefined when dynamic. */
export function declaredColumns(spec: TensorSpec): number | undefined {
  if (spec.shape.length <= 1) return 1;
  if (spec.shape.length !== 2)
    throw invalidInput(
      `The output "${spec.name}" has shape [${spec.shape.join(', ')}]; evaluation reads [rows] or [rows, columns].`,
    );
  const width = spec.shape[1]!;
  return width > 0 ? width : undefined;
}
