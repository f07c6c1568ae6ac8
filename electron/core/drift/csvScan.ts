/**
 * One pass over a plain CSV/TSV file in JavaScript, straight into what a drift check asks of it:
 * per number column its values counted per decimal value or held in ascending order
 * (csvNumbers.ts), per text or boolean column its counts per value. Loading the file into a DuckDB
 * table first cost about four times the CPU (1M × 20 bench file: ~2.5 s of CPU a file, most of it
 * writing a 225 MB table nothing needs row by row, then ~1.5 s to take its columns out again).
 *
 * The file's dialect and column types are DuckDB's (its sniffer, as read_csv would use them), and
 * every value read here is one DuckDB reads the same way. Only the plain subset is read: numbers
 * as `-?digits[.digits][e[±]digits]`, booleans as `true`/`false`, text unquoted or in simple
 * quotes, one line per row, UTF-8. Anything else — a value DuckDB might read differently, a
 * quoted line break, a line of the wrong width or near DuckDB's 2 MiB limit, invalid UTF-8, more
 * values than a scan may hold (ScanLimits) — makes `scanCsv` answer null,
 * and the caller lets DuckDB read the file: whatever this reads, DuckDB would have read alike.
 */
import fs from 'node:fs';
import { NumberColumn, type ScannedNumbers } from './csvNumbers.ts';

/** DuckDB's types this reader reads; a file with any other is left to DuckDB. */
export const SCANNED_TYPES = ['DOUBLE', 'BIGINT', 'BOOLEAN', 'VARCHAR'] as const;
export type ScannedType = (typeof SCANNED_TYPES)[number];

export interface CsvLayout {
  path: string;
  /** One ASCII character. */
  delimiter: string;
  /** '"', or '' when the file has no quoting. */
  quote: string;
  /** Lines end in \r\n rather than \n. */
  crlf: boolean;
  types: ScannedType[];
}

export interface ScannedColumn {
  /** Empty fields (NULL to DuckDB). */
  missing: number;
  /** DOUBLE and BIGINT columns: the values, ascending or counted (csvNumbers.ts). */
  numbers: ScannedNumbers | null;
  /** BOOLEAN and VARCHAR columns: occurrences per value. */
  counts: Map<string | boolean, number> | null;
}

export interface ScannedCsv {
  rows: number;
  columns: ScannedColumn[];
}

const LF = 10;
const CR = 13;
const MINUS = 45;
const PLUS = 43;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const CHUNK = 4 << 20;
/**
 * A line of this many bytes or more, its line break included, is left to DuckDB: read with
 * buffer_size = 2 MiB (driftSource.ts), DuckDB refuses a line of 2,097,152 bytes or more, and
 * this keeps a margin below that.
 */
export const MAX_LINE = (2 << 20) - 1024;
/**
 * Numbers per file (512 MiB, were they all held): a larger file is left to DuckDB, whose tables
 * spill to disk. The bench's 1M × 20 file has 12 million.
 */
export const MAX_SCANNED_NUMBERS = 64 << 20;

/** What one file's scan may hold; past any of it the file is left to DuckDB. */
export interface ScanLimits {
  /** Rows × number columns. */
  numbers: number;
  /** Bytes of distinct text, all text columns together. */
  textBytes: number;
  /** Distinct text values, all text columns together. */
  textValues: number;
}

export const SCAN_LIMITS: ScanLimits = {
  numbers: MAX_SCANNED_NUMBERS,
  textBytes: 256 << 20,
  textValues: 4 << 20,
};
const DOUBLE = 0;
const BIGINT = 1;
const BOOLEAN = 2;
const VARCHAR = 3;

/** Thrown inside the scan when the file leaves the plain subset. */
class NotPlain extends Error {}

/**
 * The file read in one pass, or null when it is not plain (see above). Yields to the event loop
 * between chunks, so a cancellation is seen within a few megabytes.
 */
export async function scanCsv(
  layout: CsvLayout,
  signal?: AbortSignal,
  limits: ScanLimits = SCAN_LIMITS,
): Promise<ScannedCsv | null> {
  if (layout.delimiter.length !== 1 || layout.delimiter.charCodeAt(0) > 127) return null;
  if (layout.quote !== '' && layout.quote !== '"') return null;
  const fd = fs.openSync(layout.path, 'r');
  try {
    return await new Scan(layout, fd, limits).run(signal);
  } catch (err) {
    // A RangeError is an array past what this process can hold: DuckDB's tables can spill.
    if (err instanceof NotPlain || err instanceof RangeError) return null;
    throw err;
  } finally {
    fs.closeSync(fd);
  }
}

class Scan {
  private readonly kinds: Uint8Array;
  private readonly delimiter: number;
  private readonly quote: number;
  private readonly crlf: boolean;
  private numbers: NumberColumn[] = [];
  private readonly missing: Float64Array;
  private readonly trues: Float64Array;
  private readonly falses: Float64Array;
  private readonly texts: (TextCounts | null)[];
  private readonly numeric: number;
  private buf = new Uint8Array(0);
  private rows = 0;

  constructor(
    private readonly layout: CsvLayout,
    private readonly fd: number,
    private readonly limits: ScanLimits,
  ) {
    const n = layout.types.length;
    this.kinds = Uint8Array.from(layout.types, (t) => SCANNED_TYPES.indexOf(t));
    this.delimiter = layout.delimiter.charCodeAt(0);
    this.quote = layout.quote === '' ? -1 : layout.quote.charCodeAt(0);
    this.crlf = layout.crlf;
    this.missing = new Float64Array(n);
    this.trues = new Float64Array(n);
    this.falses = new Float64Array(n);
    const budget = { bytes: limits.textBytes, values: limits.textValues };
    this.texts = layout.types.map((t) => (t === 'VARCHAR' ? new TextCounts(budget) : null));
    this.numeric = this.kinds.filter((kind) => kind === DOUBLE || kind === BIGINT).length;
  }

  async run(signal?: AbortSignal): Promise<ScannedCsv> {
    const size = fs.fstatSync(this.fd).size;
    this.buf = new Uint8Array(CHUNK + MAX_LINE + 1);
    let have = 0;
    let position = 0;
    let first = true;
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      const got = fs.readSync(this.fd, this.buf, have, CHUNK, position);
      position += got;
      let total = have + got;
      if (position > size) throw new NotPlain(); // the file grew under us
      if (got === 0) {
        if (have === 0) break;
        // A last line without its line break still is a row, as in DuckDB.
        this.buf[total++] = LF;
      }
      const end = this.buf.lastIndexOf(LF, total - 1) + 1;
      // The unfinished line already too long (lines() measures the whole ones).
      if (total - end + 1 >= MAX_LINE) throw new NotPlain();
      if (end === 0) {
        have = total; // no line ends in what is read yet: read on
        continue;
      }
      let at = 0;
      if (first) {
        first = false;
        at = this.header(end);
        // Rows estimated from the lines of the first megabyte (or chunk, if lines are that long).
        const megabyte = this.buf.lastIndexOf(LF, Math.min(end, at + (1 << 20)) - 1) + 1;
        const sample = megabyte > at ? megabyte : end;
        const rows = Math.ceil((size / Math.max(sample - at, 1)) * this.linesIn(at, sample) * 1.05) + 64;
        if (rows * this.numeric > this.limits.numbers) throw new NotPlain();
        this.reserve(rows);
      }
      this.lines(at, end);
      // The estimate may be short (long lines first, then short ones): the rows read decide.
      if (this.rows * this.numeric > this.limits.numbers) throw new NotPlain();
      this.buf.copyWithin(0, end, total);
      have = total - end;
      if (got === 0) break;
      // Lets a cancel message in.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (first) throw new NotPlain(); // an empty file
    return this.result();
  }

  private linesIn(from: number, to: number): number {
    let n = 0;
    for (let at = this.buf.indexOf(LF, from); at >= 0 && at < to; at = this.buf.indexOf(LF, at + 1)) n++;
    return n;
  }

  private reserve(rows: number) {
    this.numbers = Array.from(this.kinds, () => new NumberColumn(rows));
  }

  /**
   * Skips the header (the names are DuckDB's), checking it has the width of a row. A byte-order
   * mark or a quoted line break in it leaves the file to DuckDB.
   */
  private header(end: number): number {
    const b = this.buf;
    if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) throw new NotPlain();
    let fields = 1;
    let quoted = false;
    let i = 0;
    for (; b[i] !== LF; i++) {
      const c = b[i]!;
      if (c === this.quote) quoted = !quoted;
      else if (!quoted && c === this.delimiter) fields++;
      else if (c === CR && !(this.crlf && b[i + 1] === LF)) throw new NotPlain();
    }
    if (quoted || fields !== this.kinds.length || i >= end || i + 1 >= MAX_LINE) throw new NotPlain();
    return i + 1;
  }

  /** Reads whole lines in [at, end): every field of every row, or NotPlain. */
  private lines(start: number, end: number) {
    const b = this.buf;
    const kinds = this.kinds;
    const last = kinds.length - 1;
    const delimiter = this.delimiter;
    const quote = this.quote;
    const numbers = this.numbers;
    const missing = this.missing;
    let i = start;
    while (i < end) {
      // An empty line: DuckDB may skip it or read a row of NULLs.
      if (b[i] === LF || b[i] === CR) throw new NotPlain();
      const lineStart = i;
      for (let k = 0; k <= last; k++) {
        const from = i;
        let c = b[i]!;
        const kind = kinds[k]!;
        if (c === quote) {
          // "…": text only, no quote or line break inside; "" is NULL, as in DuckDB.
          if (kind !== VARCHAR) throw new NotPlain();
          let j = i + 1;
          while (b[j] !== quote && b[j] !== LF) j++;
          if (b[j] !== quote) throw new NotPlain();
          if (j === i + 1) this.missing[k]!++;
          else this.texts[k]!.add(b, i + 1, j);
          i = j + 1;
          c = b[i]!;
        } else if (kind === DOUBLE || kind === BIGINT) {
          // The common case inline (the hot loop of the whole check): up to 15 digits, no exponent.
          const negative = c === MINUS;
          if (negative) c = b[++i]!;
          const digitsFrom = i;
          let m = 0;
          while (c >= ZERO && c <= NINE) {
            m = m * 10 + (c - ZERO);
            c = b[++i]!;
          }
          let digits = i - digitsFrom;
          let scale = 0;
          const point = c === DOT && kind === DOUBLE && digits > 0;
          if (point) {
            c = b[++i]!;
            const fractionFrom = i;
            while (c >= ZERO && c <= NINE) {
              m = m * 10 + (c - ZERO);
              c = b[++i]!;
            }
            scale = i - fractionFrom;
            digits += scale;
          }
          if (digits === 0 && !negative) {
            missing[k]!++; // an empty field, if the end check below agrees
          } else if (
            digits > 0 &&
            digits <= 15 &&
            (scale > 0 || !point) &&
            (c === delimiter || c === LF || c === CR)
          ) {
            // BIGINT has no −0.
            numbers[k]!.add(negative ? (kind === BIGINT ? 0 - m : -m) : m, scale);
          } else {
            i = this.number(k, kind, from);
            c = b[i]!;
          }
        } else {
          while (c !== delimiter && c !== LF && c !== CR && c !== quote) c = b[++i]!;
          if (i === from) this.missing[k]!++;
          else if (kind === VARCHAR) this.texts[k]!.add(b, from, i);
          else this.boolean(k, from, i);
        }
        // The field must end where a field ends: the delimiter, or the line break after the last.
        if (k < last) {
          if (c !== delimiter) throw new NotPlain();
        } else if (c === CR && this.crlf && b[i + 1] === LF) {
          i++;
        } else if (c !== LF || this.crlf) {
          throw new NotPlain();
        }
        i++;
      }
      if (i - lineStart >= MAX_LINE) throw new NotPlain();
      this.rows++;
    }
  }

  /**
   * A number field starting at i, in full; returns where it ends. Up to 15 digits without an
   * exponent are m / 10^s with both exact, so the one division rounds correctly, as DuckDB's
   * parser does (lines() does this inline); the rest goes through Number(), which also rounds
   * correctly.
   */
  private number(k: number, kind: number, start: number): number {
    const b = this.buf;
    let i = start;
    let c = b[i]!;
    const negative = c === MINUS;
    if (negative) c = b[++i]!;
    let m = 0;
    let digits = 0;
    let scale = 0;
    while (c >= ZERO && c <= NINE) {
      m = m * 10 + (c - ZERO);
      digits++;
      c = b[++i]!;
    }
    if (digits === 0) {
      if (!negative && (c === this.delimiter || c === LF || c === CR)) {
        this.missing[k]!++;
        return i;
      }
      throw new NotPlain();
    }
    let exact = true;
    if (c === DOT) {
      if (kind === BIGINT) throw new NotPlain();
      c = b[++i]!;
      const before = digits;
      while (c >= ZERO && c <= NINE) {
        m = m * 10 + (c - ZERO);
        digits++;
        scale++;
        c = b[++i]!;
      }
      if (digits === before) throw new NotPlain();
    }
    if ((c | 0x20) === 0x65) {
      // e / E
      if (kind === BIGINT) throw new NotPlain();
      exact = false;
      c = b[++i]!;
      if (c === MINUS || c === PLUS) c = b[++i]!;
      let exponent = 0;
      while (c >= ZERO && c <= NINE) {
        exponent = exponent * 10 + (c - ZERO);
        if (exponent > 300) throw new NotPlain();
        c = b[++i]!;
      }
      if (exponent === 0 && (b[i - 1]! < ZERO || b[i - 1]! > NINE)) throw new NotPlain();
    }
    if (exact && digits <= 15) {
      this.numbers[k]!.add(negative ? (kind === BIGINT ? 0 - m : -m) : m, scale);
      return i;
    }
    if (kind === BIGINT && digits > 18) throw new NotPlain();
    let value = Number(latin1(b, start, i));
    // Overflow, underflow and subnormals are where parsers are known to differ: DuckDB decides.
    if (!Number.isFinite(value) || (value !== 0 && Math.abs(value) < 2.2250738585072014e-308)) {
      throw new NotPlain();
    }
    if (value === 0 && m !== 0) throw new NotPlain();
    if (kind === BIGINT) value += 0;
    this.numbers[k]!.addValue(value);
    return i;
  }

  private boolean(k: number, from: number, to: number) {
    const b = this.buf;
    const n = to - from;
    if (n === 4 && b[from] === 0x74 && b[from + 1] === 0x72 && b[from + 2] === 0x75 && b[from + 3] === 0x65) {
      this.trues[k]!++;
    } else if (
      n === 5 &&
      b[from] === 0x66 &&
      b[from + 1] === 0x61 &&
      b[from + 2] === 0x6c &&
      b[from + 3] === 0x73 &&
      b[from + 4] === 0x65
    ) {
      this.falses[k]!++;
    } else {
      throw new NotPlain();
    }
  }

  private result(): ScannedCsv {
    const columns = this.layout.types.map((_, k): ScannedColumn => {
      const kind = this.kinds[k];
      const missing = this.missing[k]!;
      if (kind === DOUBLE || kind === BIGINT)
        return { missing, numbers: this.numbers[k]!.finish(), counts: null };
      const counts = new Map<string | boolean, number>();
      if (kind === BOOLEAN) {
        if (this.falses[k]) counts.set(false, this.falses[k]!);
        if (this.trues[k]) counts.set(true, this.trues[k]!);
      } else {
        const texts = this.texts[k]!.decoded();
        if (!texts) throw new NotPlain();
        return { missing, numbers: null, counts: texts };
      }
      return { missing, numbers: null, counts };
    });
    return { rows: this.rows, columns };
  }
}

function latin1(b: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += String.fromCharCode(b[i]!);
  return s;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Counts per distinct byte string, in an open-addressing table keyed by FNV-1a: only the distinct
 * values ever become JavaScript strings. The distinct values of a file's text columns share one
 * budget of bytes and values (ScanLimits).
 */
class TextCounts {
  private slots = new Int32Array(1024);
  private hashes = new Int32Array(1024);
  private offsets = new Float64Array(512);
  private lengths = new Int32Array(512);
  private counts = new Float64Array(512);
  private bytes = new Uint8Array(1 << 16);
  private used = 0;
  private size = 0;

  constructor(private readonly budget: { bytes: number; values: number }) {}

  add(b: Uint8Array, from: number, to: number) {
    let h = 0x811c9dc5;
    for (let i = from; i < to; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
    const length = to - from;
    const mask = this.slots.length - 1;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = this.slots[s]! - 1;
      if (e < 0) {
        this.insert(s, h, b, from, length);
        return;
      }
      if (this.hashes[s] === h && this.lengths[e] === length) {
        const o = this.offsets[e]!;
        let q = 0;
        while (q < length && this.bytes[o + q] === b[from + q]) q++;
        if (q === length) {
          this.counts[e]!++;
          return;
        }
      }
    }
  }

  private insert(slot: number, h: number, b: Uint8Array, from: number, length: number) {
    // @duckdb/node-api drops a leading U+FEFF from a VARCHAR value: DuckDB's report would differ.
    if (length >= 3 && b[from] === 0xef && b[from + 1] === 0xbb && b[from + 2] === 0xbf) throw new NotPlain();
    this.budget.bytes -= length;
    this.budget.values--;
    if (this.budget.bytes < 0 || this.budget.values < 0) throw new NotPlain();
    const e = this.size++;
    if (e === this.counts.length) {
      this.offsets = grown(this.offsets);
      this.lengths = grown(this.lengths);
      this.counts = grown(this.counts);
    }
    while (this.used + length > this.bytes.length) this.bytes = grown(this.bytes);
    this.bytes.set(b.subarray(from, from + length), this.used);
    this.offsets[e] = this.used;
    this.lengths[e] = length;
    this.counts[e] = 1;
    this.used += length;
    this.slots[slot] = e + 1;
    this.hashes[slot] = h;
    if (this.size * 2 > this.slots.length) this.rehash();
  }

  private rehash() {
    const slots = new Int32Array(this.slots.length * 2);
    const hashes = new Int32Array(slots.length);
    const mask = slots.length - 1;
    for (let s = 0; s < this.slots.length; s++) {
      const e = this.slots[s]!;
      if (e === 0) continue;
      let t = this.hashes[s]! & mask;
      while (slots[t] !== 0) t = (t + 1) & mask;
      slots[t] = e;
      hashes[t] = this.hashes[s]!;
    }
    this.slots = slots;
    this.hashes = hashes;
  }

  /** The values as strings with their counts; null when one is not valid UTF-8. */
  decoded(): Map<string | boolean, number> | null {
    const out = new Map<string | boolean, number>();
    try {
      for (let e = 0; e < this.size; e++) {
        const o = this.offsets[e]!;
        out.set(utf8.decode(this.bytes.subarray(o, o + this.lengths[e]!)), this.counts[e]!);
      }
    } catch {
      return null; // DuckDB refuses invalid UTF-8 with its own message
    }
    return out;
  }
}

function grown<T extends Int32Array | Float64Array | Uint8Array>(a: T): T {
  const next = new (a.constructor as new (n: number) => T)(a.length * 2);
  next.set(a);
  return next;
}
