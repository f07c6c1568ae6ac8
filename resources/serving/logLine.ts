/**
 * One request's line in the request log, written straight to JSON text: a line is made for every
 * inference request, so it skips building an object tree for JSON.stringify to walk. The shape is
 * RequestLogLine's, which is what monitoring reads.
 */
import type { ModelMeta } from './config.ts';
import type { Feed, OutputTensor } from './model.ts';
import { toJsonValues } from './tensors.ts';

export interface RequestLogLine {
  id: string;
  time: string;
  model: string;
  version: number;
  endpoint: 'infer' | 'invocations';
  /**
   * The request's inputs by feature name, column-wise (`{feature: [value per row]}`); an input
   * without a feature spec by its own name, row-wise. Null when the request was refused.
   */
  features: Record<string, unknown[]> | null;
  /** Outputs by name, row-wise (`[n]` and `[n, 1]` outputs as one value per row); null when refused. */
  outputs: Record<string, unknown[]> | null;
  latencyMs: number;
  status: number;
  /** Why the request was refused. */
  error?: string;
}

/** What an inference request left behind for its line. */
export interface LogEntry {
  id: string;
  endpoint: 'infer' | 'invocations';
  feeds?: ReadonlyMap<string, Feed>;
  outputs?: readonly OutputTensor[];
  /** Each output's data as JSON values (already made for the reply). */
  json?: readonly unknown[][];
  latencyMs: number;
  status: number;
  error?: string;
}

function value(v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) ? `${v}` : 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return JSON.stringify(v) ?? 'null';
}

/** Row-major values as JSON rows of `width` (plain values when the width is 1). */
function rows(values: readonly unknown[], width: number): string {
  let s = '[';
  if (width <= 1) {
    for (let i = 0; i < values.length; i++) s += (i ? ',' : '') + value(values[i]);
    return `${s}]`;
  }
  for (let r = 0; r * width < values.length; r++) {
    s += r ? ',[' : '[';
    for (let j = 0; j < width; j++) s += (j ? ',' : '') + value(values[r * width + j]);
    s += ']';
  }
  return `${s}]`;
}

function widthOf(shape: readonly number[], length: number): number {
  const n = shape[0] ?? 1;
  return shape.length <= 1 || n === 0 ? 1 : length / n;
}

/**
 * A float32 as the shortest decimal that reads back as the same float32: what the caller most
 * likely sent (5.1, not 5.099999904632568), for a value that reached the model only as a float32.
 */
function shortestFloat32(v: unknown): unknown {
  if (typeof v !== 'number' || !Number.isFinite(v)) return v;
  for (let p = 1; p < 9; p++) {
    const x = Number(v.toPrecision(p));
    if (Math.fround(x) === v) return x;
  }
  return v;
}

export class LogLineFormat {
  private readonly head: string;
  private readonly columns = new Map<string, string[]>();
  private lastMs = -1;
  private lastIso = '';

  constructor(
    meta: Pick<ModelMeta, 'name' | 'version' | 'features'>,
    private readonly typeOf: (input: string) => string,
  ) {
    this.head = `,"model":${JSON.stringify(meta.name)},"version":${meta.version},"endpoint":"`;
    for (const [input, names] of Object.entries(meta.features))
      this.columns.set(
        input,
        names.map((n) => JSON.stringify(n)),
      );
  }

  format(e: LogEntry): string {
    const ms = Date.now();
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastIso = new Date(ms).toISOString();
    }
    let s = `{"id":${JSON.stringify(e.id)},"time":"${this.lastIso}"${this.head}${e.endpoint}","features":`;
    s += e.feeds ? this.features(e.feeds) : 'null';
    s += ',"outputs":';
    if (e.outputs && e.json) {
      s += '{';
      for (let i = 0; i < e.outputs.length; i++) {
        const o = e.outputs[i]!;
        const values = e.json[i]!;
        s += `${i ? ',' : ''}${JSON.stringify(o.name)}:${rows(values, widthOf(o.shape, values.length))}`;
      }
      s += '}';
    } else s += 'null';
    s += `,"latencyMs":${Math.round(e.latencyMs * 1000) / 1000},"status":${e.status}`;
    if (e.error) s += `,"error":${JSON.stringify(e.error)}`;
    return `${s}}\n`;
  }

  private features(feeds: ReadonlyMap<string, Feed>): string {
    let s = '{';
    let first = true;
    for (const [name, feed] of feeds) {
      let values: readonly unknown[];
      if (feed.sent) values = feed.sent;
      else {
        const type = this.typeOf(name);
        const converted = toJsonValues(feed.data, type);
        if (type === 'float32')
          for (let i = 0; i < converted.length; i++) converted[i] = shortestFloat32(converted[i]);
        values = converted;
      }
      const cols = this.columns.get(name);
      const n = feed.shape[0] ?? 1;
      if (!cols || n * cols.length !== values.length) {
        s += `${first ? '' : ','}${JSON.stringify(name)}:${rows(values, widthOf(feed.shape, values.length))}`;
        first = false;
        continue;
      }
      const width = cols.length;
      for (let j = 0; j < width; j++) {
        s += `${first ? '' : ','}${cols[j]}:[`;
        first = false;
        for (let r = 0; r < n; r++) s += (r ? ',' : '') + value(values[r * width + j]);
        s += ']';
      }
    }
    return `${s}}`;
  }
}
