/**
 * Realized performance: what the model answered for labeled requests against the ground truth.
 * A prediction is read from the output evaluation reads (chooseOutput), the same way: a label
 * output as the label; one probability column as class 1 when above 0.5; several as the most
 * probable class (the first of equal maxima); a regression's value as is. Classes are named by the
 * version's class list when it has one, else by their index; a label output of a model with classes
 * holds an index into them (as the server maps it in its answers).
 */
import type { ModelVersion } from '../../../shared/registry.ts';
import { chooseOutput, declaredColumns, floatTypes } from '../evaluation/onnxModel.ts';
import type { LabeledRequest } from './monitorRepo.ts';

export interface Realized {
  labeled_rows: number;
  accuracy: number | null;
  rmse: number | null;
  mae: number | null;
}

type Reading =
  | { kind: 'label'; output: string; classes: readonly string[] | null }
  | { kind: 'classes'; output: string; classes: readonly string[] | null }
  | { kind: 'regression'; output: string };

/**
 * How the version's answers are read. A float output of one column, with neither a task nor
 * classes, is a binary classifier's probability when every label is a whole number (0/1), else a
 * regression — as evaluation decides by the label column's type.
 */
function readingOf(v: ModelVersion, wholeLabels: boolean): Reading {
  const output = chooseOutput(
    v.outputs,
    v.outputs.map((o) => o.name),
  );
  if (!floatTypes.has(output.type)) return { kind: 'label', output: output.name, classes: v.classes };
  const columns = declaredColumns(output);
  if (v.task === 'regression' || (columns === 1 && v.task === null && !v.classes && !wholeLabels))
    return { kind: 'regression', output: output.name };
  return { kind: 'classes', output: output.name, classes: v.classes };
}

const asNumber = (s: string): number | undefined => {
  if (!s.trim()) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
};

/** The same label: equal text, or equal numbers (`1` and `1.0`). */
function sameLabel(a: string, b: string): boolean {
  if (a === b) return true;
  const x = asNumber(a);
  const y = asNumber(b);
  return x !== undefined && x === y;
}

function predicted(reading: Reading, value: unknown): string | number | undefined {
  if (reading.kind === 'label') {
    // A label output of a model with classes holds indices into them, as the server answers.
    if (typeof value === 'number') return reading.classes?.[value] ?? value;
    return typeof value === 'string' ? value : undefined;
  }
  if (reading.kind === 'regression') {
    const x = Array.isArray(value) ? value[0] : value;
    return typeof x === 'number' ? x : undefined;
  }
  let index: number;
  if (Array.isArray(value) && value.length > 1) {
    index = 0;
    for (let k = 1; k < value.length; k++) if ((value[k] as number) > (value[index] as number)) index = k;
  } else {
    const p = Array.isArray(value) ? value[0] : value;
    if (typeof p !== 'number') return undefined;
    index = p > 0.5 ? 1 : 0;
  }
  return reading.classes?.[index] ?? String(index);
}

/** Whether every label is a whole number (a binary classifier's 0 and 1, not a regression's values). */
export function wholeLabels(requests: readonly LabeledRequest[]): boolean {
  return requests.every((r) => r.labels.every((l) => /^-?\d+$/.test(l.label.trim())));
}

/**
 * Metrics of the labeled requests; `versionOf` gives the registry's record of each version seen.
 * Each request's outputs are parsed once, however many of its rows are labeled.
 */
export function realizedPerformance(
  requests: Iterable<LabeledRequest>,
  versionOf: (version: number) => ModelVersion | undefined,
  wholeLabels: boolean,
): Realized {
  const readings = new Map<number, Reading | undefined>();
  let n = 0;
  let right = 0;
  let classified = 0;
  let squared = 0;
  let absolute = 0;
  let regressed = 0;
  for (const r of requests) {
    if (!readings.has(r.version)) {
      const v = versionOf(r.version);
      let reading: Reading | undefined;
      try {
        reading = v ? readingOf(v, wholeLabels) : undefined;
      } catch {
        reading = undefined; // no output to read predictions from: its rows do not count
      }
      readings.set(r.version, reading);
    }
    const reading = readings.get(r.version);
    if (!reading || r.outputs === null) continue;
    const column = (JSON.parse(r.outputs) as Record<string, unknown[]>)[reading.output];
    if (!Array.isArray(column)) continue;
    for (const { row, label } of r.labels) {
      const p = predicted(reading, column[row]);
      if (p === undefined) continue;
      n++;
      if (reading.kind === 'regression') {
        const truth = asNumber(label);
        if (truth === undefined || typeof p !== 'number') continue;
        const e = p - truth;
        squared += e * e;
        absolute += Math.abs(e);
        regressed++;
      } else {
        classified++;
        if (sameLabel(String(p), label)) right++;
      }
    }
  }
  return {
    labeled_rows: n,
    accuracy: classified ? right / classified : null,
    rmse: regressed ? Math.sqrt(squared / regressed) : null,
    mae: regressed ? absolute / regressed : null,
  };
}
