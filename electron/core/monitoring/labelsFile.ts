/**
 * Ground-truth labels from a file: CSV (RFC 4180 quoting) or JSON Lines, with a `request_id`
 * column (or `id`), a `label` column, and optionally `row`, the 0-based row of a request that
 * scored several. Every problem names its line, so the file can be fixed and added again.
 */
import fs from 'node:fs/promises';
import { parseCsv, UnterminatedQuote } from '../../../shared/csv.ts';
import { invalidInput, notFound } from '../errors.ts';

export interface Label {
  requestId: string;
  row: number;
  label: string;
}

/** At most this many labels in one file (a label row is small; this bounds memory). */
const MAX_LABELS = 5_000_000;

function label(requestId: unknown, row: unknown, value: unknown, where: string): Label {
  if (typeof requestId !== 'string' && typeof requestId !== 'number')
    throw invalidInput(`${where} has no request_id.`);
  const id = String(requestId).trim();
  if (!id) throw invalidInput(`${where} has an empty request_id.`);
  if (value === null || value === undefined || (typeof value === 'string' && !value.trim()))
    throw invalidInput(`${where} has no label.`);
  if (typeof value === 'object') throw invalidInput(`${where}: a label is a number or text.`);
  let r = 0;
  if (row !== undefined && row !== null && row !== '') {
    r = Number(row);
    if (!Number.isInteger(r) || r < 0)
      throw invalidInput(`${where}: row is a whole number from 0 (got ${row}).`);
  }
  return { requestId: id, row: r, label: String(value).trim() };
}

/** `shown` names the file in messages (an upload's own name, not where it was staged). */
export async function readLabels(file: string, shown = file): Promise<Label[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw notFound(`There is no labels file at ${shown}.`);
    throw invalidInput(`Cannot read the labels file ${shown}: ${(err as Error).message}`);
  }
  const labels: Label[] = [];
  if (/\.jsonl?$/i.test(shown)) {
    const lines = text.split('\n');
    for (let n = 0; n < lines.length; n++) {
      const line = lines[n]!.trim();
      if (!line) continue;
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw invalidInput(`Line ${n + 1} of ${shown} is not JSON.`);
      }
      labels.push(label(o.request_id ?? o.id, o.row, o.label, `Line ${n + 1} of ${shown}`));
      if (labels.length > MAX_LABELS)
        throw invalidInput(`${shown} has more than ${MAX_LABELS} labels; split it.`);
    }
  } else {
    let records: string[][];
    try {
      records = parseCsv(text);
    } catch (err) {
      if (err instanceof UnterminatedQuote) throw invalidInput(`${shown} ends inside a quoted value.`);
      throw err;
    }
    const header = (records.shift() ?? []).map((h) => h.trim().toLowerCase());
    const idAt = header.includes('request_id') ? header.indexOf('request_id') : header.indexOf('id');
    const labelAt = header.indexOf('label');
    const rowAt = header.indexOf('row');
    if (idAt < 0 || labelAt < 0)
      throw invalidInput(
        `${shown} needs a header with request_id and label columns (and row, for requests that scored several rows); its header is: ${header.join(', ') || '(empty)'}.`,
      );
    records.forEach((r, n) => {
      if (r.length === 1 && r[0] === '') return; // a blank line
      labels.push(label(r[idAt], rowAt >= 0 ? r[rowAt] : undefined, r[labelAt], `Line ${n + 2} of ${shown}`));
    });
    if (labels.length > MAX_LABELS)
      throw invalidInput(`${shown} has more than ${MAX_LABELS} labels; split it.`);
  }
  if (!labels.length) throw invalidInput(`${shown} has no labels.`);
  return labels;
}
