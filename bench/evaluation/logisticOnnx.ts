/**
 * Writes a logistic-regression ONNX model without Python: the graph the example classifier recipe
 * exports (resources/recipes/sklearn-classifier/train.py `to_onnx`, binary case) — logits [0, z],
 * Softmax to `probabilities` [N, 2] and ArgMax to `label` [N] — encoded by hand in ONNX's protobuf
 * (IR 8, opset 13). Only the few message fields this graph uses are written.
 */

/** Protobuf wire format: varints, and length-delimited fields. */
class Proto {
  private readonly parts: Buffer[] = [];

  varint(field: number, value: number): this {
    this.parts.push(Buffer.from([...encodeVarint(field * 8), ...encodeVarint(value)]));
    return this;
  }

  bytes(field: number, value: Buffer | string | Proto): this {
    const data = value instanceof Proto ? value.toBuffer() : Buffer.from(value);
    this.parts.push(Buffer.from([...encodeVarint(field * 8 + 2), ...encodeVarint(data.length)]), data);
    return this;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function encodeVarint(value: number): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, BigInt(value));
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v ? byte | 0x80 : byte);
  } while (v);
  return out;
}

const FLOAT = 1;
const INT64 = 7;

/** A float32 initializer (TensorProto: dims 1, data_type 2, name 8, raw_data 9). */
function tensor(name: string, dims: number[], values: number[]): Proto {
  const t = new Proto();
  for (const d of dims) t.varint(1, d);
  return t
    .varint(2, FLOAT)
    .bytes(8, name)
    .bytes(9, Buffer.from(Float32Array.from(values).buffer));
}

/** A tensor value (ValueInfoProto → TypeProto.tensor_type → shape); string dims are symbolic. */
function valueInfo(name: string, elemType: number, dims: (number | string)[]): Proto {
  const shape = new Proto();
  for (const d of dims)
    shape.bytes(1, typeof d === 'number' ? new Proto().varint(1, d) : new Proto().bytes(2, d));
  const tensorType = new Proto().varint(1, elemType).bytes(2, shape);
  return new Proto().bytes(1, name).bytes(2, new Proto().bytes(1, tensorType));
}

function node(
  op: string,
  inputs: string[],
  outputs: string[],
  attributes: Record<string, number> = {},
): Proto {
  const n = new Proto();
  for (const i of inputs) n.bytes(1, i);
  for (const o of outputs) n.bytes(2, o);
  n.bytes(4, op);
  // AttributeProto: name 1, i 3, type 20 (INT = 2).
  for (const [name, value] of Object.entries(attributes))
    n.bytes(5, new Proto().bytes(1, name).varint(3, value).varint(20, 2));
  return n;
}

/** The model bytes for P(class 1) = sigmoid(x · weights + bias), x of `weights.length` features. */
export function logisticOnnx(weights: readonly number[], bias: number): Buffer {
  const f = weights.length;
  // Column 0 is the zero logit of class 0, column 1 the model's: Softmax([0, z]) = [1 − σ(z), σ(z)].
  const w = weights.flatMap((x) => [0, x]);
  const graph = new Proto()
    .bytes(1, node('MatMul', ['input', 'weight'], ['product']))
    .bytes(1, node('Add', ['product', 'bias'], ['logits']))
    .bytes(1, node('Softmax', ['logits'], ['probabilities'], { axis: 1 }))
    .bytes(1, node('ArgMax', ['probabilities'], ['label'], { axis: 1, keepdims: 0 }))
    .bytes(2, 'logistic_regression')
    .bytes(5, tensor('weight', [f, 2], w))
    .bytes(5, tensor('bias', [2], [0, bias]))
    .bytes(11, valueInfo('input', FLOAT, ['N', f]))
    .bytes(12, valueInfo('probabilities', FLOAT, ['N', 2]))
    .bytes(12, valueInfo('label', INT64, ['N']));
  return new Proto()
    .varint(1, 8)
    .bytes(2, 'mlwb evaluation bench')
    .bytes(7, graph)
    .bytes(8, new Proto().bytes(1, '').varint(2, 13))
    .toBuffer();
}
