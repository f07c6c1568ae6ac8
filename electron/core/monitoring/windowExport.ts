/**
 * A window of a deployment's traffic as a table the drift check reads: one JSON line per scored
 * row, a key per feature. Requests are logged column-wise by feature (`{sepal_length: [5.1, 4.9]}`);
 * each row is written out with the feature spec's names. A float feature's whole numbers are
 * written as `5.0`, so the table reads them as the floats they were (not as integers, which the
 * drift check would take for categories).
 */

import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';

export interface FeatureColumn {
  name: string;
  float: boolean;
}

function cell(v: unknown, float: boolean): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return 'null';
    const text = `${v}`;
    // 5 → 5.0; 1e+21 is a float as it is (and 1e+21.0 would not be JSON).
    return float && /^-?\d+$/.test(text) ? `${text}.0` : text;
  }
  if (v === undefined) return 'null';
  return JSON.stringify(v);
}

/** What was written: rows, and the file's identity (its bytes hashed as they were written). */
export interface WrittenWindow {
  rows: number;
  sha256: string;
  bytes: number;
}

/**
 * Writes the window's rows to `file`, from pages of requests (each read whole: nothing is held
 * open in the store while this waits for the disk).
 */
export async function writeWindowRows(
  pages: Iterable<{ features: string }[]>,
  columns: readonly FeatureColumn[],
  file: string,
  signal?: AbortSignal,
): Promise<WrittenWindow> {
  const out = fs.createWriteStream(file);
  const hash = createHash('sha256');
  let bytes = 0;
  const keys = columns.map((c) => `${JSON.stringify(c.name)}:`);
  let rows = 0;
  try {
    for (const page of pages) {
      let chunk = '';
      for (const r of page) {
        const features = JSON.parse(r.features) as Record<string, unknown>;
        const cols = columns.map((c) => {
          const col = features[c.name];
          return Array.isArray(col) ? col : [];
        });
        const n = cols.reduce((m, c) => Math.max(m, c.length), 0);
        for (let i = 0; i < n; i++) {
          let line = '{';
          for (let j = 0; j < columns.length; j++)
            line += `${j ? ',' : ''}${keys[j]}${cell(cols[j]![i], columns[j]!.float)}`;
          chunk += `${line}}\n`;
          rows++;
        }
      }
      signal?.throwIfAborted();
      const data = Buffer.from(chunk);
      hash.update(data);
      bytes += data.length;
      if (!out.write(data)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    return { rows, sha256: hash.digest('hex'), bytes };
  } catch (err) {
    out.destroy();
    throw err;
  }
}
