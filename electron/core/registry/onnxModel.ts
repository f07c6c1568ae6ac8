/**
 * What an ONNX file says about itself, read with onnxruntime-node: the names, element types and
 * shapes of its inputs and outputs (`-1` for a dynamic dimension, named or not). onnxruntime is
 * loaded only by the commands that use it.
 */
import type { TensorSpec } from '../../../shared/registry.ts';
import { invalidInput } from '../errors.ts';

export type Ort = typeof import('onnxruntime-node');
let ort: Promise<Ort> | undefined;
export function loadOnnxRuntime(): Promise<Ort> {
  ort ??= import('onnxruntime-node');
  return ort;
}

export interface OnnxSignature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

type Metadata = Awaited<ReturnType<Ort['InferenceSession']['create']>>['inputMetadata'][number];

function specOf(m: Metadata): TensorSpec {
  if (!m.isTensor) return { name: m.name, type: 'non-tensor', shape: [] };
  return {
    name: m.name,
    type: m.type,
    // Symbolic dimensions ("N", "batch") are as dynamic as unnamed ones.
    shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)),
  };
}

/**
 * Loads the model to read its signature; a file onnxruntime cannot load is refused with its own
 * message, since that is what the user must fix.
 */
export async function readSignature(file: string, shownAs: string): Promise<OnnxSignature> {
  const { InferenceSession } = await loadOnnxRuntime();
  let session: Awaited<ReturnType<typeof InferenceSession.create>>;
  try {
    session = await InferenceSession.create(file);
  } catch (err) {
    // onnxruntime names the file it was given (a staging file here); the user knows it as shownAs.
    const why = (err instanceof Error ? err.message : String(err))
      .split('\n')[0]!
      .replace(/^Load model from \S+ failed:\s*/, '')
      .trim();
    throw invalidInput(`${shownAs} is not a model onnxruntime can load: ${why}`);
  }
  try {
    return { inputs: session.inputMetadata.map(specOf), outputs: session.outputMetadata.map(specOf) };
  } finally {
    await session.release();
  }
}
