/**
 * The New Run form as data: what the inputs hold (text, as typed), how it is checked against the
 * recipe's typed params, how many runs a sweep starts, and the `runs.start` request it becomes.
 * Kept apart from the dialog so the rules read in one place.
 */
import type { ParamSpec, ParamValue, Recipe, RunSpec, StartRuns } from '../../../shared/training.ts';

export interface ChannelInput {
  key: number;
  channel: string;
  dataset: string;
  /** null: the latest version when the run starts. */
  version: number | null;
}

export interface ParamInput {
  value: string;
  /** Sweep over `values` (comma-separated) instead of one value. */
  sweep: boolean;
  values: string;
}

export interface RunForm {
  channels: ChannelInput[];
  params: Record<string, ParamInput>;
  mode: 'grid' | 'random';
  samples: string;
  parallel: string;
  cpus: string;
  memory: string;
  gpus: string;
  seed: string;
  name: string;
  /** A named engine from Settings; '' for the default one. */
  engine: string;
}

/** What a re-run with changes starts from: the earlier run's spec. */
export interface RunPreset {
  recipePath: string;
  spec: RunSpec;
}

let nextKey = 1;
export const channelKey = () => nextKey++;

export function initialForm(recipe: Recipe | null, preset?: RunPreset, defaultDataset = ''): RunForm {
  const spec = preset?.spec;
  return {
    channels: spec?.datasets.length
      ? spec.datasets.map((d) => ({
          key: channelKey(),
          channel: d.channel,
          dataset: d.dataset,
          version: d.version,
        }))
      : [{ key: channelKey(), channel: 'train', dataset: defaultDataset, version: null }],
    params: recipe ? paramInputs(recipe, spec?.params) : {},
    mode: 'grid',
    samples: '4',
    parallel: '2',
    cpus: spec?.resources.cpus === undefined ? '' : String(spec.resources.cpus),
    memory: spec?.resources.memory ?? '',
    gpus: spec?.resources.gpus === undefined ? '' : String(spec.resources.gpus),
    seed: spec ? String(spec.seed) : '',
    name: '',
    engine: spec?.engineName ?? '',
  };
}

export function paramInputs(recipe: Recipe, values?: Record<string, ParamValue>): Record<string, ParamInput> {
  const out: Record<string, ParamInput> = {};
  for (const [name, spec] of Object.entries(recipe.params)) {
    const v = values?.[name] ?? spec.default;
    out[name] = {
      value: v === undefined ? '' : String(v),
      sweep: false,
      values: v === undefined ? '' : String(v),
    };
  }
  return out;
}

/** One value typed for a param: the parsed value, or what is wrong with it. */
export function parseParam(spec: ParamSpec, text: string): { value: ParamValue } | { error: string } {
  const t = text.trim();
  switch (spec.type) {
    case 'int':
      return /^[-+]?\d+$/.test(t) ? { value: Number(t) } : { error: `“${text}” is not a whole number` };
    case 'float': {
      const n = Number(t);
      return t !== '' && Number.isFinite(n) ? { value: n } : { error: `“${text}” is not a number` };
    }
    case 'bool':
      if (t === 'true' || t === 'false') return { value: t === 'true' };
      return { error: `“${text}” is not true or false` };
    default:
      return { value: text };
  }
}

/** A sweep's values: comma-separated, each parsed as the param's type, duplicates dropped. */
export function parseSweepValues(
  spec: ParamSpec,
  text: string,
): { values: ParamValue[] } | { error: string } {
  const parts = text.split(',').map((p) => p.trim());
  if (spec.type !== 'string' && parts.some((p) => p === ''))
    return { error: 'Give values separated by commas' };
  const values: ParamValue[] = [];
  for (const p of parts) {
    const r = parseParam(spec, p);
    if ('error' in r) return r;
    if (!values.includes(r.value)) values.push(r.value);
  }
  return values.length ? { values } : { error: 'Give at least one value' };
}

export interface Checked {
  request: StartRuns | null;
  /** Problems by field: `param:NAME`, `channel:KEY`, `samples`, `parallel`, `cpus`, `memory`, `gpus`, `seed`. */
  errors: Record<string, string>;
  /** How many runs Start would start (the grid, or the random sample of it). */
  runCount: number;
  gridSize: number;
  sweeping: boolean;
}

const positiveInt = (t: string) => /^\d+$/.test(t.trim()) && Number(t) > 0;

export function checkForm(dir: string | null, recipe: Recipe | null, form: RunForm): Checked {
  const errors: Record<string, string> = {};
  const params: Record<string, ParamValue> = {};
  const sweep: Record<string, ParamValue[]> = {};
  for (const [name, spec] of Object.entries(recipe?.params ?? {})) {
    const input = form.params[name];
    if (!input) continue;
    if (input.sweep) {
      const r = parseSweepValues(spec, input.values);
      if ('error' in r) errors[`param:${name}`] = r.error;
      else if (r.values.length === 1) params[name] = r.values[0]!;
      else sweep[name] = r.values;
    } else {
      const r = parseParam(spec, input.value);
      if ('error' in r) errors[`param:${name}`] = r.error;
      else params[name] = r.value;
    }
  }
  const gridSize = Object.values(sweep).reduce((n, v) => n * v.length, 1);
  const sweeping = Object.keys(sweep).length > 0;
  const random = sweeping && form.mode === 'random';
  if (random && !positiveInt(form.samples)) errors.samples = 'A whole number of runs, 1 or more';
  if (sweeping && (!positiveInt(form.parallel) || Number(form.parallel) > 32))
    errors.parallel = 'From 1 to 32';
  const runCount = random && positiveInt(form.samples) ? Math.min(Number(form.samples), gridSize) : gridSize;

  const channels = form.channels.filter((c) => c.dataset !== '');
  const seen = new Set<string>();
  for (const c of channels) {
    if (!/^[A-Za-z0-9_.-]+$/.test(c.channel)) errors[`channel:${c.key}`] = 'Letters, digits, ., _ or -';
    else if (seen.has(c.channel)) errors[`channel:${c.key}`] = `Channel ${c.channel} is used twice`;
    seen.add(c.channel);
  }

  const resources: { cpus?: number; memory?: string; gpus?: number } = {};
  if (form.cpus.trim()) {
    const n = Number(form.cpus);
    if (Number.isFinite(n) && n > 0) resources.cpus = n;
    else errors.cpus = 'A positive number, e.g. 1 or 0.5';
  }
  if (form.memory.trim()) {
    if (/^[0-9]+(\.[0-9]+)?[kmgKMG]?$/.test(form.memory.trim())) resources.memory = form.memory.trim();
    else errors.memory = 'A size such as 512m or 2g';
  }
  if (form.gpus.trim()) {
    if (/^\d+$/.test(form.gpus.trim())) resources.gpus = Number(form.gpus);
    else errors.gpus = 'A whole number';
  }
  if (form.seed.trim() && !/^[-+]?\d+$/.test(form.seed.trim())) errors.seed = 'A whole number';

  const ok = dir !== null && recipe !== null && Object.keys(errors).length === 0;
  return {
    errors,
    runCount,
    gridSize,
    sweeping,
    request: ok
      ? {
          recipe: dir,
          datasets: channels.map((c) => ({
            channel: c.channel,
            dataset: c.dataset,
            ...(c.version === null ? {} : { version: c.version }),
          })),
          params,
          sweep,
          ...(random ? { randomSamples: Number(form.samples) } : {}),
          parallel: sweeping ? Number(form.parallel) : 1,
          ...(Object.keys(resources).length ? { resources } : {}),
          ...(form.seed.trim() ? { seed: Number(form.seed) } : {}),
          ...(form.name.trim() ? { name: form.name.trim() } : {}),
          ...(form.engine ? { engine: form.engine } : {}),
        }
      : null,
  };
}
