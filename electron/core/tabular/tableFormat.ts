/**
 * Which files are tables, and the DuckDB scan for each format. Blobs have no extension, so the
 * format comes from the manifest path and is passed to DuckDB explicitly.
 */

import fs from 'node:fs/promises';
import type { TableProfile } from '../../../shared/datasets.ts';
import { diagnoseDelimited } from './csvDiagnosis.ts';
import { lit } from './duckdb.ts';

export type TableFormat = TableProfile['format'];

export function tableFormatOf(path: string): TableFormat | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.tsv') || lower.endsWith('.tab')) return 'tsv';
  if (lower.endsWith('.parquet') || lower.endsWith('.pq')) return 'parquet';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  return undefined;
}

export function scanSql(file: string, format: TableFormat): string {
  switch (format) {
    case 'csv':
      // The dialect is fixed so a malformed file fails loudly instead of being "sniffed" into
      // a different shape (DuckDB would otherwise pick a ragged row as the header).
      return `read_csv(${lit(file)}, header = true, delim = ',', quote = '"', escape = '"', skip = 0, auto_detect = true, sample_size = 20480, strict_mode = true)`;
    case 'tsv':
      return `read_csv(${lit(file)}, header = true, delim = '\t', quote = '', skip = 0, auto_detect = true, sample_size = 20480, strict_mode = true)`;
    case 'parquet':
      return `read_parquet(${lit(file)})`;
    case 'jsonl':
      return `read_json(${lit(file)}, format = 'newline_delimited', sample_size = 20480)`;
  }
}

/**
 * Why a file could not be scanned, in words a user can act on: an empty file, or for delimited
 * text our own diagnosis (bad UTF-8, ragged rows, an unclosed quote), else DuckDB's first line.
 */
export async function explainScanError(
  err: unknown,
  file: string,
  path: string,
  format: TableFormat,
): Promise<string> {
  if ((await fs.stat(file)).size === 0) return `${path} is empty: there is no header and no rows.`;
  if (format === 'csv' || format === 'tsv') {
    const found = await diagnoseDelimited(file, format === 'csv' ? ',' : '\t', format === 'csv');
    if (found) return `${path} ${found}`;
  }
  const raw = err instanceof Error ? err.message : String(err);
  if (/invalid unicode|invalid utf-?8/i.test(raw))
    return `${path} is not valid UTF-8 text; re-save it as UTF-8.`;
  const first = raw.split('\n').find((l) => l.trim()) ?? raw;
  const cleaned = first.replace(
    /^(Invalid Input Error|Conversion Error|IO Error|Binder Error|Parser Error):\s*/,
    '',
  );
  return `${path} could not be read as a table: ${cleaned}`;
}
