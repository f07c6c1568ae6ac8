/**
 * Tensors between JSON and onnxruntime: the Open Inference Protocol's datatype names for
 * onnxruntime's element types, turning JSON data (flat or nested, row-major) into a typed array
 * checked against a shape, and typed output data back into JSON values. Every refusal is a
 * BadRequest naming the tensor and what was expected, since that is what the caller must fix.
 */
import type { TensorSpec } from './config.ts';
import { BadRequest } from './errors.ts';

/** onnxruntime element type → OIP datatype. */
const DATATYPE_OF: Record<string, string> = {
  float32: 'FP32',
  float64: 'FP64',
  float16: 'FP16',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  bool: 'BOOL',
  string: 'BYTES',
};

export function datatypeOf(onnxType: string): string {
  return DATATYPE_OF[onnxType] ?? onnxType.toUpperCase();
}

export type TypedData =
  | Float32Array
  | Float64Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | string[];

/** The element types a request may send (what the issue promises, and what JSON carries exactly). */
const ACCEPTED = new Set(['float32', 'float64', 'int32', 'int64', 'bool']);

export function accepts(onnxType: string): boolean {
  return ACCEPTED.has(onnxType);
}

/** Flattens nested arrays row-major into `out`; returns false when a leaf is an array of arrays mix. */
function flattenInto(v: unknown, out: unknown[]): void {
  if (Array.isArray(v)) for (const x of v) flattenInto(x, out);
  else out.push(v);
}

/** A JSON value (flat or nested) as a flat list; a flat list is returned as it is. */
export function flatten(data: unknown): unknown[] {
  if (!Array.isArray(data)) return [data];
  let nested = false;
  for (let i = 0; i < data.length; i++)
    if (Array.isArray(data[i])) {
      nested = true;
      break;
    }
  if (!nested) return data;
  const out: unknown[] = [];
  flattenInto(data, out);
  return out;
}

/** The shape of a nested JSON array, checking it is rectangular. */
export function shapeOfNested(data: unknown, what: string): number[] {
  const shape: number[] = [];
  let level: unknown = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  const check = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (Array.isArray(v)) throw new BadRequest(`${what} is not rectangular: it nests deeper in places.`);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth])
      throw new BadRequest(
        `${what} is not rectangular: expected ${shape[depth]} values at depth ${depth + 1}, like its first row.`,
      );
    for (const x of v) check(x, depth + 1);
  };
  check(data, 0);
  return shape;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Checks a request's shape against the model's (`-1` matches any size). */
export function checkShape(name: string, shape: readonly number[], spec: TensorSpec): void {
  const ok = shape.length === spec.shape.length && spec.shape.every((d, i) => d < 0 || d === shape[i]);
  if (!ok)
    throw new BadRequest(
      `Input ${name} has shape [${shape.join(', ')}], but the model expects [${spec.shape.join(', ')}] (-1: any size).`,
    );
}

function notA(name: string, i: number, v: unknown, expected: string, datatype: string): BadRequest {
  return new BadRequest(
    `Input ${name} is ${datatype}, so its data must hold ${expected}; element ${i} is ${JSON.stringify(v) ?? String(v)}.`,
  );
}

/**
 * JSON values as the typed array of an element type. Numbers may arrive as numeric strings only
 * when `lenient` (CSV and DataFrame cells); a boolean input takes true/false (and 0/1 when lenient).
 */
export function toTypedArray(
  values: readonly unknown[],
  onnxType: string,
  name: string,
  lenient = false,
): TypedData {
  const n = values.length;
  const datatype = datatypeOf(onnxType);
  const num = (v: unknown, i: number): number => {
    if (typeof v === 'number') return v;
    if (lenient) {
      if (v === null || v === '') return Number.NaN;
      if (typeof v === 'string') {
        const x = Number(v);
        if (!Number.isNaN(x) || v.trim().toLowerCase() === 'nan') return x;
      }
      if (typeof v === 'boolean') return v ? 1 : 0;
    }
    throw notA(name, i, v, 'numbers', datatype);
  };
  switch (onnxType) {
    case 'float32': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = num(values[i], i);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = num(values[i], i);
      return out;
    }
    case 'int32':
    case 'int64': {
      const out = onnxType === 'int32' ? new Int32Array(n) : new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        const v = num(values[i], i);
        if (!Number.isInteger(v)) throw notA(name, i, values[i], 'integers', datatype);
        if (out instanceof Int32Array) {
          if (v < -2147483648 || v > 2147483647) throw notA(name, i, values[i], '32-bit integers', datatype);
          out[i] = v;
        } else out[i] = BigInt(v);
      }
      return out;
    }
    case 'bool': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v === 'boolean') out[i] = v ? 1 : 0;
        else if (lenient && (v === 0 || v === 1 || v === '0' || v === '1')) out[i] = Number(v);
        else if (lenient && typeof v === 'string' && /^(true|false)$/i.test(v))
          out[i] = v.toLowerCase() === 'true' ? 1 : 0;
        else throw notA(name, i, v, 'true or false', datatype);
      }
      return out;
    }
    default:
      throw new BadRequest(
        `Input ${name} is ${datatype}, which this server does not take; it takes FP32, FP64, INT32, INT64 and BOOL.`,
      );
  }
}

/** A typed output as JSON values: 64-bit integers as numbers, booleans as true/false. */
export function toJsonValues(data: unknown, onnxType: string): unknown[] {
  if (Array.isArray(data)) return data;
  if (onnxType === 'bool') return Array.from(data as Uint8Array, (b) => b !== 0);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    const out = new Array<number>(data.length);
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
    return out;
  }
  const typed = data as Float32Array;
  const out = new Array<number>(typed.length);
  for (let i = 0; i < typed.length; i++) {
    const v = typed[i]!;
    // JSON has no NaN or Infinity; null is what JSON encoders (and MLflow) write for them.
    out[i] = Number.isFinite(v) ? v : (null as unknown as number);
  }
  return out;
}

/** Flat row-major values as rows of the first dimension (scalars for a [n] or [n, 1] tensor). */
export function toRows(values: readonly unknown[], shape: readonly number[]): unknown[] {
  const rows = shape[0] ?? 1;
  const width = rows === 0 ? 0 : values.length / rows;
  if (shape.length <= 1 || width === 1) return values.slice();
  const out = new Array<unknown>(rows);
  for (let r = 0; r < rows; r++) out[r] = values.slice(r * width, (r + 1) * width);
  return out;
}
