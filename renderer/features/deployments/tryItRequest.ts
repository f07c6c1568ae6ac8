/**
 * The try-it form's requests, made from a model version's signature and feature spec: one numeric
 * field per feature column, the MLflow `/invocations` body (`dataframe_records`, named columns) or
 * the Open Inference Protocol one (tensors), the equivalent `curl` command, reading a pasted row,
 * and reading the server's answer back as labels and probabilities when it gives them.
 */
import type { ModelVersion, TensorSpec } from '../../../shared/registry.ts';

/** One field of the form: the feature column `column`, at `index` in input tensor `input`. */
export interface FeatureField {
  input: string;
  column: string;
  index: number;
}

export type Protocol = 'invocations' | 'oip';

/**
 * The fields, input by input in the spec's column order. An input without a feature spec gets
 * one field per column of its last dimension, named `input[i]` (it is then sent positionally).
 */
export function featureFields(v: Pick<ModelVersion, 'inputs' | 'features'>): FeatureField[] {
  return v.inputs.flatMap((t) => {
    const named = v.features[t.name];
    if (named && named.length > 0) return named.map((column, index) => ({ input: t.name, column, index }));
    const width = Math.max(1, t.shape.at(-1) ?? 1);
    return Array.from({ length: width }, (_, index) => ({
      input: t.name,
      column: `${t.name}[${index}]`,
      index,
    }));
  });
}

/** Whether every input has named feature columns, so `/invocations` can take a record by name. */
export function hasNamedFeatures(v: Pick<ModelVersion, 'inputs' | 'features'>): boolean {
  return v.inputs.every((t) => (v.features[t.name]?.length ?? 0) > 0);
}

/** The fields' text as numbers, or what is wrong with each field that is not one. */
export function parseValues(
  fields: readonly FeatureField[],
  raw: Readonly<Record<string, string>>,
): { values: Record<string, number> } | { errors: Record<string, string> } {
  const values: Record<string, number> = {};
  const errors: Record<string, string> = {};
  for (const f of fields) {
    const text = (raw[f.column] ?? '').trim();
    const n = Number(text);
    if (text === '') errors[f.column] = 'A number is needed.';
    else if (!Number.isFinite(n)) errors[f.column] = `"${text}" is not a number.`;
    else values[f.column] = n;
  }
  return Object.keys(errors).length > 0 ? { errors } : { values };
}

const OIP_TYPE: Record<string, string> = {
  float32: 'FP32',
  float: 'FP32',
  float64: 'FP64',
  double: 'FP64',
  int32: 'INT32',
  int64: 'INT64',
  bool: 'BOOL',
};

function tensorsOf(
  v: Pick<ModelVersion, 'inputs'>,
  fields: readonly FeatureField[],
  values: Record<string, number>,
) {
  return v.inputs.map((t: TensorSpec) => {
    const data = fields.filter((f) => f.input === t.name).map((f) => values[f.column] ?? 0);
    return { t, data };
  });
}

/** The request path and body for one row. */
export function requestFor(
  protocol: Protocol,
  v: Pick<ModelVersion, 'name' | 'inputs' | 'features'>,
  fields: readonly FeatureField[],
  values: Record<string, number>,
): { path: string; body: unknown } {
  if (protocol === 'oip') {
    return {
      path: `/v2/models/${v.name}/infer`,
      body: {
        inputs: tensorsOf(v, fields, values).map(({ t, data }) => ({
          name: t.name,
          shape: [1, data.length],
          datatype: OIP_TYPE[t.type.toLowerCase()] ?? 'FP32',
          data,
        })),
      },
    };
  }
  if (hasNamedFeatures(v)) {
    const record = Object.fromEntries(fields.map((f) => [f.column, values[f.column]]));
    return { path: '/invocations', body: { dataframe_records: [record] } };
  }
  // Unnamed columns: MLflow's tensor form, one row per input.
  const inputs = Object.fromEntries(tensorsOf(v, fields, values).map(({ t, data }) => [t.name, [data]]));
  return { path: '/invocations', body: { inputs } };
}

/** A POSIX shell word: single-quoted, with the quotes inside it closed and reopened. */
function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The `curl` command that sends the same request from a terminal. */
export function curlCommand(url: string, path: string, body: unknown): string {
  const target = `${url.replace(/\/+$/, '')}${path}`;
  return `curl -s -X POST ${shellQuote(target)} -H 'Content-Type: application/json' -d ${shellQuote(JSON.stringify(body))}`;
}

/**
 * Field values from a pasted row: a JSON record (`{"col": 1.2, …}`), a CSV header line and a
 * value line, or one line of values in the form's column order.
 */
export function valuesFromPaste(
  text: string,
  columns: readonly string[],
): { values: Record<string, string> } | { error: string } {
  const trimmed = text.trim();
  if (!trimmed) return { error: 'Paste a JSON record, a CSV header and row, or one row of values.' };
  if (trimmed.startsWith('{')) {
    let record: unknown;
    try {
      record = JSON.parse(trimmed);
    } catch {
      return { error: 'This is not valid JSON: paste one record such as {"sepal_length": 5.1, …}.' };
    }
    if (!record || typeof record !== 'object' || Array.isArray(record))
      return { error: 'Paste one JSON record (an object of feature values).' };
    return valuesFromRecord(record as Record<string, unknown>, columns);
  }
  const lines = trimmed.split(/\r?\n/).filter((l) => l.trim() !== '');
  const cells = (line: string) => line.split(/[,;\t]/).map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
  if (lines.length >= 2) {
    const header = cells(lines[0]!);
    const row = cells(lines[1]!);
    const missing = columns.filter((c) => !header.includes(c));
    if (missing.length) return { error: `The header has no ${missing.join(', ')}.` };
    return { values: Object.fromEntries(columns.map((c) => [c, row[header.indexOf(c)] ?? ''])) };
  }
  const row = cells(lines[0]!);
  if (row.length !== columns.length)
    return {
      error: `One line of ${row.length} values: the form takes ${columns.length} (${columns.join(', ')}), or add a header line.`,
    };
  return { values: Object.fromEntries(columns.map((c, i) => [c, row[i]!])) };
}

/** One answered row as a classifier says it: the label and each class's probability, highest first. */
export interface ClassAnswer {
  label: string;
  probabilities: [string, number][];
}

/**
 * The classifier rows of an answer, when it is one: `/invocations` gives `{predictions: [{label,
 * probabilities}]}` or labels only; an OIP answer is left to its JSON.
 */
export function classAnswers(body: unknown): ClassAnswer[] | null {
  const predictions = (body as { predictions?: unknown } | null)?.predictions;
  if (!Array.isArray(predictions) || predictions.length === 0) return null;
  const rows: ClassAnswer[] = [];
  for (const p of predictions) {
    if (typeof p === 'string') rows.push({ label: p, probabilities: [] });
    else if (p && typeof p === 'object' && 'label' in p) {
      const probs = (p as { probabilities?: Record<string, unknown> }).probabilities ?? {};
      rows.push({
        label: String((p as { label: unknown }).label),
        probabilities: Object.entries(probs)
          .filter((e): e is [string, number] => typeof e[1] === 'number')
          .sort((a, b) => b[1] - a[1]),
      });
    } else return null;
  }
  return rows;
}

/** Field values from one table row (a record by column): every feature column must be in it. */
export function valuesFromRecord(
  record: Readonly<Record<string, unknown>>,
  columns: readonly string[],
): { values: Record<string, string> } | { error: string } {
  const missing = columns.filter((c) => !(c in record));
  if (missing.length) return { error: `The row has no ${missing.join(', ')}.` };
  return { values: Object.fromEntries(columns.map((c) => [c, record[c] === null ? '' : String(record[c])])) };
}
