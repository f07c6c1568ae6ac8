/**
 * A valid ONNX model that loads but cannot run on one row: input `input` float [N, 4] reshaped to
 * the constant shape [3]. Its signature reads like any model's, so it registers and packages; the
 * server's warm-up (one zero row, 1×4) fails in the Reshape, so the server exits 1 and never
 * becomes ready. Written with a minimal protobuf encoder (only what this graph needs) rather than a
 * binary fixture, so what it is stays readable.
 */

/** A protobuf varint (non-negative numbers only, which is all this graph has). */
function varint(n: number): Buffer {
  const bytes: number[] = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    bytes.push(b);
  } while (v > 0n);
  return Buffer.from(bytes);
}

/** A varint field (wire type 0). */
const num = (field: number, n: number) => Buffer.concat([varint(field << 3), varint(n)]);
/** A length-delimited field (wire type 2): a string, bytes, or an embedded message. */
const bytes = (field: number, b: Buffer | string) => {
  const payload = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  return Buffer.concat([varint((field << 3) | 2), varint(payload.length), payload]);
};
const msg = (...parts: Buffer[]) => Buffer.concat(parts);

const FLOAT = 1;
const INT64 = 7;

/** ValueInfoProto of a float tensor; a string dimension is symbolic (dim_param). */
function floatTensor(name: string, dims: (number | string)[]): Buffer {
  const shape = msg(
    ...dims.map((d) => bytes(1, typeof d === 'string' ? bytes(2, d) : num(1, d))), // TensorShapeProto.dim
  );
  const tensorType = msg(num(1, FLOAT), bytes(2, shape)); // elem_type, shape
  return msg(bytes(1, name), bytes(2, bytes(1, tensorType))); // name, type.tensor_type
}

export function brokenOnnx(): Buffer {
  const target = Buffer.alloc(8);
  target.writeBigInt64LE(3n);
  // TensorProto: dims [1], data_type INT64, name, raw_data.
  const shapeInit = msg(num(1, 1), num(2, INT64), bytes(8, 'shape'), bytes(9, target));
  // NodeProto: inputs, output, name, op_type.
  const reshape = msg(
    bytes(1, 'input'),
    bytes(1, 'shape'),
    bytes(2, 'out'),
    bytes(3, 'reshape'),
    bytes(4, 'Reshape'),
  );
  const graph = msg(
    bytes(1, reshape),
    bytes(2, 'broken'),
    bytes(5, shapeInit),
    bytes(11, floatTensor('input', ['N', 4])),
    bytes(12, floatTensor('out', [3])),
  );
  // ModelProto: ir_version 8, producer_name, graph, opset_import (default domain, opset 13).
  return msg(num(1, 8), bytes(2, 'mlwb-tests'), bytes(7, graph), bytes(8, msg(bytes(1, ''), num(2, 13))));
}

/** The signature.json a recipe would write beside it. */
export const BROKEN_SIGNATURE = JSON.stringify({
  task: 'regression',
  inputs: [{ name: 'input', columns: ['a', 'b', 'c', 'd'] }],
});
