/**
 * The Open Inference Protocol v2 REST API (KServe, MLServer and Triton speak it): server and model
 * metadata, and inference on tensors given as `{name, shape, datatype, data}` with data flat or
 * nested row-major. A request's datatype and shape must match the model's input (`-1` dimensions
 * take any size); the server converts nothing silently, so a client learns what the model takes.
 */

import { BadRequest, HttpError } from './errors.ts';
import type { Feed, LoadedModel, OutputTensor } from './model.ts';
import { isRequestId, REQUEST_ID_HEADER, REQUEST_ID_RULE } from './requestId.ts';
import { accepts, checkShape, datatypeOf, flatten, sizeOf, toTypedArray } from './tensors.ts';

export const SERVER_NAME = 'mlwb-model-server';
export const SERVER_VERSION = '1.0.0';

export function serverMetadata(): string {
  return JSON.stringify({ name: SERVER_NAME, version: SERVER_VERSION, extensions: [] });
}

export function modelMetadata(model: LoadedModel): string {
  const tensor = (t: { name: string; type: string; shape: number[] }) => ({
    name: t.name,
    datatype: datatypeOf(t.type),
    shape: t.shape,
  });
  return JSON.stringify({
    name: model.meta.name,
    versions: [String(model.meta.version)],
    platform: 'onnxruntime',
    inputs: model.inputs.map(tensor),
    outputs: model.outputs.map(tensor),
  });
}

/** 404 unless the path names the served model (and, when it names one, its version). */
export function checkModel(model: { name: string; version: number }, name: string, version?: string): void {
  if (name !== model.name || (version !== undefined && version !== String(model.version)))
    throw new HttpError(
      404,
      `Model ${name}${version !== undefined ? ` version ${version}` : ''} is not served here; this server serves ${model.name} version ${model.version}.`,
    );
}

export interface ParsedInfer {
  feeds: Map<string, Feed>;
  outputNames: string[] | undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The request's own `id`, read before the rest of it (parseInferRequest leaves it alone), so a
 * request refused for its inputs is still logged and answered under it. It is sent back in a
 * header too, so it must be a valid request id (requestId.ts).
 */
export function inferRequestId(body: unknown): string | undefined {
  if (!isObject(body) || body.id === undefined) return undefined;
  const { id } = body;
  if (typeof id !== 'string' || !isRequestId(id))
    throw new BadRequest(
      `"id" must be a string of ${REQUEST_ID_RULE} (it is echoed in the ${REQUEST_ID_HEADER} header); leave it out for the server to choose one.`,
    );
  return id;
}

export function parseInferRequest(body: unknown, model: LoadedModel): ParsedInfer {
  if (!isObject(body)) throw new BadRequest('The request body must be a JSON object with an "inputs" list.');
  const { inputs, outputs } = body;
  if (!Array.isArray(inputs) || inputs.length === 0)
    throw new BadRequest(
      `"inputs" must be a list of tensors {name, shape, datatype, data}; the model takes ${describeInputs(model)}.`,
    );
  const feeds = new Map<string, Feed>();
  for (let k = 0; k < inputs.length; k++) {
    const t = inputs[k];
    if (!isObject(t)) throw new BadRequest(`inputs[${k}] must be an object {name, shape, datatype, data}.`);
    const { name, shape, datatype, data } = t;
    if (typeof name !== 'string') throw new BadRequest(`inputs[${k}].name must be a string.`);
    const spec = model.inputByName.get(name);
    if (!spec)
      throw new BadRequest(
        `Unknown input tensor ${JSON.stringify(name)}; the model takes ${describeInputs(model)}.`,
      );
    if (feeds.has(name)) throw new BadRequest(`Input ${name} is given twice.`);
    const expected = datatypeOf(spec.type);
    if (datatype !== expected)
      throw new BadRequest(
        `Input ${name} has datatype ${JSON.stringify(datatype)}, but the model expects ${expected}.`,
      );
    if (!accepts(spec.type))
      throw new BadRequest(`Input ${name} is ${expected}, which this server does not take over JSON.`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
      throw new BadRequest(`Input ${name}: "shape" must be a list of non-negative integers.`);
    checkShape(name, shape as number[], spec);
    if (data === undefined) throw new BadRequest(`Input ${name} has no "data".`);
    const values = flatten(data);
    const size = sizeOf(shape as number[]);
    if (values.length !== size)
      throw new BadRequest(
        `Input ${name} has ${values.length} values in "data", but its shape [${shape.join(', ')}] needs ${size}.`,
      );
    feeds.set(name, { data: toTypedArray(values, spec.type, name), shape: shape as number[], sent: values });
  }
  for (const input of model.inputs)
    if (!feeds.has(input.name))
      throw new BadRequest(`Input ${input.name} is missing; the model takes ${describeInputs(model)}.`);
  let outputNames: string[] | undefined;
  if (outputs !== undefined) {
    if (!Array.isArray(outputs) || outputs.length === 0)
      throw new BadRequest('"outputs" must be a non-empty list of {name} (leave it out for every output).');
    outputNames = outputs.map((o, k) => {
      const name = isObject(o) ? o.name : undefined;
      if (typeof name !== 'string') throw new BadRequest(`outputs[${k}].name must be a string.`);
      if (!model.outputByName.has(name))
        throw new BadRequest(
          `Unknown output tensor ${JSON.stringify(name)}; the model gives ${model.outputs.map((x) => x.name).join(', ')}.`,
        );
      return name;
    });
    outputNames = [...new Set(outputNames)];
  }
  return { feeds, outputNames };
}

export function describeInputs(model: LoadedModel): string {
  return model.inputs.map((i) => `${i.name} (${datatypeOf(i.type)} [${i.shape.join(', ')}])`).join(', ');
}

/** `json` holds each output's data as JSON values, converted once for the reply and the log. */
export function inferResponse(
  model: LoadedModel,
  id: string,
  outputs: OutputTensor[],
  json: unknown[][],
): string {
  return JSON.stringify({
    model_name: model.meta.name,
    model_version: String(model.meta.version),
    id,
    outputs: outputs.map((o, i) => ({
      name: o.name,
      shape: o.shape,
      datatype: datatypeOf(o.type),
      data: json[i],
    })),
  });
}
