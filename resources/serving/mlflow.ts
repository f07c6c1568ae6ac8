/**
 * MLflow's scoring protocol (`POST /invocations`, as `mlflow models serve` answers it): a table
 * as `dataframe_split` {columns, data} or `dataframe_records` [{column: value}], a CSV body with a
 * header row, or tensors as `instances` (rows) or `inputs` (one tensor, or tensors by input name).
 * Named columns are put in each input tensor's columns by the version's feature spec, so a caller
 * sends features by name, in any order, as they were named in training.
 *
 * Replies are `{"predictions": …}`:
 *   - a classifier with class labels and a probability output: per row
 *     `{"label": "setosa", "probabilities": {"setosa": 0.97, "versicolor": 0.03, "virginica": 0.0}}`
 *     (the label from the model's label output when it has one, else the most probable class);
 *   - a classifier with labels only: per row the class label (a string when classes are known);
 *   - a model with one output: per row its value (a number for an [n] or [n, 1] output, else a list);
 *   - several outputs: per row `{"outputName": value, …}`.
 */

import { parseCsv, UnterminatedQuote } from '../../shared/csv.ts';
import type { ModelMeta, TensorSpec } from './config.ts';
import { BadRequest } from './errors.ts';
import type { Feed, LoadedModel, OutputTensor } from './model.ts';
import { flatten, shapeOfNested, toRows, toTypedArray } from './tensors.ts';

/** A table: column names (null when positional) and rows of cells. */
interface Frame {
  columns: string[] | null;
  rows: unknown[][];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const FORMATS = '"dataframe_split", "dataframe_records", "instances" or "inputs"';

/** The feeds for a JSON body in any of MLflow's formats. */
export function feedsFromJson(body: unknown, model: LoadedModel): Map<string, Feed> {
  if (!isObject(body)) throw new BadRequest(`The request body must be a JSON object with one of ${FORMATS}.`);
  const keys = Object.keys(body).filter((k) => k !== 'params');
  if (keys.length !== 1) throw new BadRequest(`The request body must have exactly one of ${FORMATS}.`);
  const key = keys[0]!;
  const value = body[key];
  switch (key) {
    case 'dataframe_split':
      return feedsFromFrame(splitFrame(value), model);
    case 'dataframe_records':
      return feedsFromFrame(recordsFrame(value, 'dataframe_records'), model);
    case 'instances':
      return feedsFromInstances(value, model);
    case 'inputs':
      return feedsFromInputs(value, model);
    default:
      throw new BadRequest(`Unknown field "${key}"; the request body must have one of ${FORMATS}.`);
  }
}

function splitFrame(v: unknown): Frame {
  if (!isObject(v) || !Array.isArray(v.data))
    throw new BadRequest('"dataframe_split" must be an object {columns, data} with "data" a list of rows.');
  const columns = v.columns;
  if (columns !== undefined && !(Array.isArray(columns) && columns.every((c) => typeof c === 'string')))
    throw new BadRequest('"dataframe_split.columns" must be a list of column names.');
  // Every row as wide as the columns, or as the first row when there are none; a cell is a value,
  // never a list (flattened, it would shift every later value).
  const width = Array.isArray(columns) ? columns.length : Array.isArray(v.data[0]) ? v.data[0].length : 1;
  const rows = v.data.map((row, r) => {
    const cells = Array.isArray(row) ? row : [row];
    if (cells.length !== width)
      throw new BadRequest(
        `"dataframe_split.data" row ${r} has ${cells.length} values, but ${columns ? `there are ${width} columns` : `row 0 has ${width}`}.`,
      );
    const nested = cells.findIndex((c) => Array.isArray(c) || isObject(c));
    if (nested >= 0)
      throw new BadRequest(
        `"dataframe_split.data" row ${r}, value ${nested} is a list or object, not a value.`,
      );
    return cells;
  });
  return { columns: (columns as string[] | undefined) ?? null, rows };
}

function recordsFrame(v: unknown, field: string): Frame {
  if (!Array.isArray(v) || !v.every(isObject))
    throw new BadRequest(`"${field}" must be a list of records {column: value}.`);
  const columns: string[] = [];
  const index = new Map<string, number>();
  for (const rec of v)
    for (const k of Object.keys(rec))
      if (!index.has(k)) {
        index.set(k, columns.length);
        columns.push(k);
      }
  const rows = v.map((rec) => columns.map((c) => (c in rec ? rec[c] : null)));
  return { columns, rows };
}

/** A CSV body with a header row (RFC 4180 quoting); cells stay strings until a tensor types them. */
export function frameFromCsv(text: string): Frame {
  let records: string[][];
  try {
    records = parseCsv(text);
  } catch (err) {
    if (err instanceof UnterminatedQuote) throw new BadRequest('The CSV body ends inside a quoted value.');
    throw err;
  }
  const header = records.shift();
  if (!header || header.length === 0 || (header.length === 1 && header[0] === ''))
    throw new BadRequest('The CSV body needs a header row naming its columns.');
  const rows = records.filter((r) => !(r.length === 1 && r[0] === ''));
  rows.forEach((r, i) => {
    if (r.length !== header.length)
      throw new BadRequest(
        `CSV row ${i + 1} has ${r.length} values, but the header names ${header.length} columns.`,
      );
  });
  return { columns: header.map((h) => h.trim()), rows };
}

function rowShape(spec: TensorSpec, rows: number, width: number): number[] {
  return spec.shape.length <= 1 ? [rows] : [rows, width];
}

/** Named columns go where the feature spec puts them; unnamed ones fill the sole input in order. */
export function feedsFromFrame(frame: Frame, model: LoadedModel): Map<string, Feed> {
  const feeds = new Map<string, Feed>();
  const n = frame.rows.length;
  if (n === 0) throw new BadRequest('The table has no rows.');
  if (!frame.columns) {
    const spec = soleInput(model, 'Unnamed columns');
    const width = frame.rows[0]!.length;
    checkWidth(spec, width);
    const values = flatten(frame.rows);
    feeds.set(spec.name, {
      data: toTypedArray(values, spec.type, spec.name, true),
      shape: rowShape(spec, n, width),
    });
    return feeds;
  }
  const at = new Map(frame.columns.map((c, i) => [c, i]));
  for (const spec of model.inputs) {
    const names = featuresOf(model.meta, spec);
    const idx = names.map((f) => {
      const i = at.get(f);
      if (i === undefined)
        throw new BadRequest(
          `Missing feature column ${JSON.stringify(f)} (input ${spec.name} takes ${names.join(', ')}).`,
        );
      return i;
    });
    checkWidth(spec, idx.length);
    const values = new Array<unknown>(n * idx.length);
    let k = 0;
    for (const row of frame.rows) for (const i of idx) values[k++] = row[i];
    feeds.set(spec.name, {
      data: toTypedArray(values, spec.type, spec.name, true),
      shape: rowShape(spec, n, idx.length),
    });
  }
  return feeds;
}

function featuresOf(meta: ModelMeta, spec: TensorSpec): string[] {
  const names = meta.features[spec.name];
  if (!names)
    throw new BadRequest(
      `The model's feature spec names no columns for input ${spec.name}; send it as a tensor under "inputs" instead.`,
    );
  return names;
}

function soleInput(model: LoadedModel, what: string): TensorSpec {
  if (model.inputs.length !== 1)
    throw new BadRequest(
      `${what} can only feed a model with one input; this one takes ${model.inputs.map((i) => i.name).join(', ')}: name them.`,
    );
  return model.inputs[0]!;
}

function checkWidth(spec: TensorSpec, width: number): void {
  const last = spec.shape.length >= 2 ? spec.shape[spec.shape.length - 1]! : 1;
  if (last > 0 && last !== width)
    throw new BadRequest(`Input ${spec.name} takes ${last} values per row, but the request gives ${width}.`);
}

/** A nested tensor value for one input, its shape read from the nesting. */
function tensorFeed(spec: TensorSpec, value: unknown, what: string): Feed {
  const shape = shapeOfNested(value, what);
  if (shape.length === 0) throw new BadRequest(`${what} must be a list.`);
  // A flat list for an [n, k] input is one row.
  const fitted = shape.length === 1 && spec.shape.length === 2 ? [1, shape[0]!] : shape;
  if (fitted.length !== spec.shape.length || !spec.shape.every((d, i) => d < 0 || d === fitted[i]))
    throw new BadRequest(
      `${what} has shape [${fitted.join(', ')}], but input ${spec.name} takes [${spec.shape.join(', ')}] (-1: any size).`,
    );
  return { data: toTypedArray(flatten(value), spec.type, spec.name, true), shape: fitted };
}

function feedsFromInstances(v: unknown, model: LoadedModel): Map<string, Feed> {
  if (!Array.isArray(v) || v.length === 0)
    throw new BadRequest('"instances" must be a non-empty list of rows.');
  if (v.every(isObject)) {
    const keys = Object.keys(v[0] as object);
    if (keys.every((k) => model.inputByName.has(k))) {
      // TF-serving rows: {inputName: row value} per instance.
      const feeds = new Map<string, Feed>();
      for (const spec of model.inputs) {
        const stacked = v.map((row, r) => {
          if (!(spec.name in row)) throw new BadRequest(`"instances" row ${r} has no input ${spec.name}.`);
          return (row as Record<string, unknown>)[spec.name];
        });
        feeds.set(spec.name, tensorFeed(spec, stacked, `"instances" for input ${spec.name}`));
      }
      return feeds;
    }
    return feedsFromFrame(recordsFrame(v, 'instances'), model);
  }
  const spec = soleInput(model, '"instances" as plain rows');
  return new Map([[spec.name, tensorFeed(spec, v, '"instances"')]]);
}

function feedsFromInputs(v: unknown, model: LoadedModel): Map<string, Feed> {
  if (Array.isArray(v)) {
    const spec = soleInput(model, '"inputs" as one list');
    return new Map([[spec.name, tensorFeed(spec, v, '"inputs"')]]);
  }
  if (!isObject(v))
    throw new BadRequest('"inputs" must be a list (one tensor) or an object of tensors or columns.');
  const keys = Object.keys(v);
  if (keys.length && keys.every((k) => model.inputByName.has(k))) {
    const feeds = new Map<string, Feed>();
    for (const spec of model.inputs) {
      if (!(spec.name in v)) throw new BadRequest(`"inputs" has no tensor for input ${spec.name}.`);
      feeds.set(spec.name, tensorFeed(spec, v[spec.name], `"inputs.${spec.name}"`));
    }
    return feeds;
  }
  // Columns by feature name: {feature: [value per row]}.
  const columns = keys;
  const lists = columns.map((c) => {
    const col = v[c];
    return Array.isArray(col) ? col : [col];
  });
  const n = lists[0]?.length ?? 0;
  lists.forEach((l, i) => {
    if (l.length !== n)
      throw new BadRequest(
        `"inputs.${columns[i]}" has ${l.length} values, but "inputs.${columns[0]}" has ${n}.`,
      );
  });
  const rows = Array.from({ length: n }, (_, r) => lists.map((l) => l[r]));
  return feedsFromFrame({ columns, rows }, model);
}

/** Index of the output holding class probabilities, and of the one holding labels, if any. */
function classifierOutputs(meta: ModelMeta, outputs: OutputTensor[]) {
  const k = meta.classes?.length ?? 0;
  const probabilities = outputs.findIndex(
    (o) =>
      (o.type === 'float32' || o.type === 'float64') && o.shape.length === 2 && o.shape[1] === k && k > 1,
  );
  const labels = outputs.findIndex(
    (o, i) =>
      i !== probabilities &&
      (o.type.startsWith('int') || o.type === 'string') &&
      (o.shape.length === 1 || (o.shape.length === 2 && o.shape[1] === 1)),
  );
  return { probabilities, labels };
}

export function predictions(meta: ModelMeta, outputs: OutputTensor[], json: unknown[][]): unknown[] {
  const rows = outputs[0]?.shape[0] ?? 0;
  if (meta.task === 'classification') {
    const { probabilities, labels } = classifierOutputs(meta, outputs);
    const classes = meta.classes;
    const labelOf = (r: number): unknown => {
      if (labels >= 0) {
        const v = json[labels]![r];
        return classes && typeof v === 'number' && classes[v] !== undefined ? classes[v] : v;
      }
      const p = json[probabilities]!;
      const k = classes!.length;
      let best = 0;
      for (let c = 1; c < k; c++) if ((p[r * k + c] as number) > (p[r * k + best] as number)) best = c;
      return classes![best];
    };
    if (probabilities >= 0 && classes) {
      const p = json[probabilities]!;
      const k = classes.length;
      return Array.from({ length: rows }, (_, r) => {
        const probs: Record<string, unknown> = {};
        for (let c = 0; c < k; c++) probs[classes[c]!] = p[r * k + c];
        return { label: labelOf(r), probabilities: probs };
      });
    }
    if (labels >= 0) return Array.from({ length: rows }, (_, r) => labelOf(r));
  }
  if (outputs.length === 1) return toRows(json[0]!, outputs[0]!.shape);
  const perOutput = outputs.map((o, i) => toRows(json[i]!, o.shape));
  return Array.from({ length: rows }, (_, r) => {
    const rec: Record<string, unknown> = {};
    outputs.forEach((o, i) => {
      rec[o.name] = perOutput[i]![r];
    });
    return rec;
  });
}
