/**
 * Which files are tables, and the DuckDB scan for each format. Blobs have no extension, so the
 * format comes from the manifest path and is passed to DuckDB explicitly.
 */
import type { TableProfile } from '../../../shared/datasets.ts';
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
      return `read_csv(${lit(file)}, header = true, auto_detect = true, sample_size = 20480, strict_mode = true)`;
    case 'tsv':
      return `read_csv(${lit(file)}, header = true, delim = '\t', quote = '', auto_detect = true, sample_size = 20480, strict_mode = true)`;
    case 'parquet':
      return `read_parquet(${lit(file)})`;
    case 'jsonl':
      return `read_json(${lit(file)}, format = 'newline_delimited', sample_size = 20480)`;
  }
}

/** Makes DuckDB's parser messages readable for a user: first line, no internal hints. */
export function readableScanError(err: unknown, path: string): string {
  const raw = err instanceof Error ? err.message : String(err);
  const first = raw.split('\n').find((l) => l.trim()) ?? raw;
  const cleaned = first.replace(
    /^(Invalid Input Error|Conversion Error|IO Error|Binder Error|Parser Error):\s*/,
    '',
  );
  if (/unicode|utf-?8/i.test(raw))
    return `${path} is not valid UTF-8 text; re-save it as UTF-8 to profile it.`;
  if (/Expected Number of Columns|too many columns|did not find .* column|Too few columns/i.test(raw)) {
    return `${path} has rows with a different number of fields than its header (ragged rows): ${cleaned}`;
  }
  if (/quote|unterminated/i.test(raw)) return `${path} has unbalanced quotes: ${cleaned}`;
  return `${path} could not be read as a table: ${cleaned}`;
}
