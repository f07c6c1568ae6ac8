/**
 * The Options panel's form, as text fields the user edits, and its translation to and from the
 * API's DriftOptionsPatch. Empty fields mean "the default" and are left out of the patch, so a
 * saved preset holds only what the user chose.
 */
import type { ColumnType, DriftMethod, DriftOptionsPatch } from '../../../shared/drift.ts';

export interface ColumnOverride {
  column: string;
  type: '' | ColumnType;
  method: '' | DriftMethod;
  threshold: string;
}

export interface OptionsForm {
  /** Column names separated by commas; empty for every column of the reference. */
  columns: string;
  method: '' | DriftMethod;
  threshold: string;
  driftShare: string;
  missingShareJump: string;
  overrides: ColumnOverride[];
}

export const emptyForm: OptionsForm = {
  columns: '',
  method: '',
  threshold: '',
  driftShare: '',
  missingShareJump: '',
  overrides: [],
};

export type FormErrors = Partial<Record<'threshold' | 'driftShare' | 'missingShareJump', string>> & {
  overrides?: Record<number, string>;
};

export function splitColumns(text: string): string[] {
  return [
    ...new Set(
      text
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean),
    ),
  ];
}

function numberField(text: string, what: string, max?: number): { value?: number; error?: string } {
  const t = text.trim();
  if (t === '') return {};
  const v = Number(t);
  if (!Number.isFinite(v) || v < 0) return { error: `${what} is a number of 0 or more.` };
  if (max !== undefined && v > max) return { error: `${what} is between 0 and ${max}.` };
  return { value: v };
}

export function patchFromForm(form: OptionsForm): { patch: DriftOptionsPatch; errors: FormErrors } {
  const errors: FormErrors = {};
  const patch: DriftOptionsPatch = {};
  const columns = splitColumns(form.columns);
  if (columns.length > 0) patch.columns = columns;
  if (form.method) patch.method = form.method;
  const fields = [
    ['threshold', 'The threshold', undefined],
    ['driftShare', 'The drift share', 1],
    ['missingShareJump', 'The missing-share jump', 1],
  ] as const;
  for (const [key, what, max] of fields) {
    const { value, error } = numberField(form[key], what, max);
    if (error) errors[key] = error;
    else if (value !== undefined) patch[key] = value;
  }
  const methods: Record<string, DriftMethod> = {};
  const thresholds: Record<string, number> = {};
  const columnTypes: Record<string, ColumnType> = {};
  const seen = new Set<string>();
  form.overrides.forEach((o, i) => {
    const column = o.column.trim();
    const { value, error } = numberField(o.threshold, 'The threshold');
    const problem = !column
      ? o.method || o.type || o.threshold.trim()
        ? 'Name the column this override is for.'
        : undefined
      : seen.has(column)
        ? `${column} has another override above; keep one.`
        : error;
    if (problem) errors.overrides = { ...errors.overrides, [i]: problem };
    if (problem || !column) return;
    seen.add(column);
    if (o.method) methods[column] = o.method;
    if (o.type) columnTypes[column] = o.type;
    if (value !== undefined) thresholds[column] = value;
  });
  if (Object.keys(methods).length) patch.methods = methods;
  if (Object.keys(thresholds).length) patch.thresholds = thresholds;
  if (Object.keys(columnTypes).length) patch.columnTypes = columnTypes;
  return { patch, errors };
}

export function formFromPatch(p: DriftOptionsPatch): OptionsForm {
  const names = [
    ...new Set([
      ...Object.keys(p.columnTypes ?? {}),
      ...Object.keys(p.methods ?? {}),
      ...Object.keys(p.thresholds ?? {}),
    ]),
  ];
  const text = (v: number | undefined) => (v === undefined ? '' : String(v));
  return {
    columns: (p.columns ?? []).join(', '),
    method: p.method ?? '',
    threshold: text(p.threshold),
    driftShare: text(p.driftShare),
    missingShareJump: text(p.missingShareJump),
    overrides: names.map((column) => ({
      column,
      type: p.columnTypes?.[column] ?? '',
      method: p.methods?.[column] ?? '',
      threshold: text(p.thresholds?.[column]),
    })),
  };
}

export function hasErrors(errors: FormErrors): boolean {
  return Object.keys(errors).length > 0;
}

/** Two patches ask for the same check (key order and empty maps aside). */
export function samePatch(a: DriftOptionsPatch, b: DriftOptionsPatch): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined && !(typeof v === 'object' && v && Object.keys(v).length === 0))
      .sort(([x], [y]) => (x < y ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** One line for a person: what a patch changes from the defaults. */
export function describePatch(p: DriftOptionsPatch): string {
  const parts: string[] = [];
  if (p.columns?.length) parts.push(`${p.columns.length} column${p.columns.length === 1 ? '' : 's'}`);
  if (p.method) parts.push(p.method);
  if (p.threshold !== undefined) parts.push(`threshold ${p.threshold}`);
  if (p.driftShare !== undefined) parts.push(`drift share ${p.driftShare}`);
  const overrides = new Set([
    ...Object.keys(p.methods ?? {}),
    ...Object.keys(p.thresholds ?? {}),
    ...Object.keys(p.columnTypes ?? {}),
  ]).size;
  if (overrides) parts.push(`${overrides} column override${overrides === 1 ? '' : 's'}`);
  return parts.length ? parts.join(' · ') : 'defaults';
}
