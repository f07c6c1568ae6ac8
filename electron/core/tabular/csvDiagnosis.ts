/**
 * When DuckDB refuses a delimited file its message is about dialect sniffing, which tells a user
 * little. This reads the start of the file and names the actual problem: bytes that are not UTF-8,
 * a row whose field count differs from the header's, or a quote that is never closed.
 */
import fs from 'node:fs/promises';

const SCAN_BYTES = 4 * 1024 * 1024;

export async function diagnoseDelimited(
  file: string,
  delimiter: string,
  quoted: boolean,
): Promise<string | undefined> {
  const fh = await fs.open(file, 'r');
  let buf: Buffer;
  try {
    buf = Buffer.alloc(SCAN_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SCAN_BYTES, 0);
    buf = buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    const at = firstInvalidUtf8(buf);
    return `is not valid UTF-8 text (first bad byte at offset ${at}); re-save it as UTF-8 to profile it.`;
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  let line = 1;
  let rowStart = 1;
  let fields = 1;
  let inQuotes = false;
  let header: number | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted && ch === '"') {
      if (inQuotes && text[i + 1] === '"') i++;
      else inQuotes = !inQuotes;
    } else if (ch === '\n') {
      line++;
      if (inQuotes) continue;
      const endsEmpty = fields === 1 && (text[i - 1] === '\n' || i === 0);
      if (!endsEmpty) {
        if (header === undefined) header = fields;
        else if (fields !== header) {
          return `has rows with a different number of fields than its header (ragged rows): line ${rowStart} has ${fields} fields, the header has ${header}.`;
        }
      }
      fields = 1;
      rowStart = line;
    } else if (!inQuotes && ch === delimiter) {
      fields++;
    }
  }
  if (inQuotes) return `has a quote that is never closed (the quoted field starts on line ${rowStart}).`;
  return undefined;
}

function firstInvalidUtf8(buf: Buffer): number {
  // Binary search on the longest prefix that decodes; good enough to point a user at the spot.
  let lo = 0;
  let hi = buf.length;
  const ok = (n: number) => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, n));
      return true;
    } catch {
      return false;
    }
  };
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (ok(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
