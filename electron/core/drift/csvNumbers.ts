/**
 * One number column as csvScan.ts reads it. The reader hands over each number as its digits m and
 * the count s of digits after the point (the value is m / 10^s). They go into a small buffer reused
 * all along, and each full buffer is counted per integer k = m·10^(d−s) (statistics/decimalSort.ts)
 * while the column fits a range of counters a few times its rows: prices, measurements and
 * integers, most columns there are. So a column costs a megabyte or so, where holding its values
 * costs 8 MB a million rows; on this machine fresh memory costs more than the parsing (page faults:
 * ~0.4 s for a 1M × 12-number file). Counting a buffer at a time keeps one column's counters in
 * cache (counting each number as it is read was 4× slower: twelve columns' counters do not fit).
 *
 * k is exact (below 2^53), so the value written out for it, k / 10^d, is the one division m / 10^s
 * would have given: both round the same number correctly. A column that stops fitting — more
 * decimals, a wider range, a number only Number() reads — has its counts written out as values
 * and is held, and sorted at the end.
 */
import {
  BUCKETS_PER_VALUE,
  type DecimalCounts,
  expandDecimalCounts,
  MAX_BUCKETS,
  sortDecimals,
} from '../statistics/decimalSort.ts';
import { radixSortFloat64 } from '../statistics/radixSort.ts';

const CHUNK = 1 << 16;
const POW10 = Float64Array.from({ length: 23 }, (_, k) => 10 ** k);
const EXACT = 2 ** 53;

/** A column's numbers: counted, or held in ascending order. */
export type ScannedNumbers = DecimalCounts | Float64Array;

export class NumberColumn {
  /** The buffer: signed digits m (−0 for "-0.0") and their decimals s. */
  private readonly digits = new Float64Array(CHUNK);
  private readonly scales = new Uint8Array(CHUNK);
  private inChunk = 0;
  private chunkDecimals = 0;
  private counts = new Int32Array(0);
  private low = 0;
  /** Digits after the point of the counters; -1 before the first count. */
  private decimals = -1;
  private negativeZeros = 0;
  private counted = 0;
  /** Set once the values are held instead of counted. */
  private held: Float64Array | null = null;
  private filled = 0;
  /** Decimals of the held values, if all are known (else 99: sorted by radix). */
  private heldDecimals = 0;

  /** @param rows Expected rows, which bound the counters. */
  constructor(private readonly rows: number) {}

  /** The number ±m / 10^scale, m signed (−0 for a negative zero), m and 10^scale exact. */
  add(m: number, scale: number) {
    if (this.held !== null) {
      this.hold(m / POW10[scale]!, scale);
      return;
    }
    this.digits[this.inChunk] = m;
    this.scales[this.inChunk++] = scale;
    if (scale > this.chunkDecimals) this.chunkDecimals = scale;
    if (this.inChunk === CHUNK) this.flush();
  }

  /** A number only Number() reads (an exponent, more digits): the column is held from now on. */
  addValue(value: number) {
    if (this.held === null) {
      this.flush();
      if (this.held === null) this.holdCounted();
    }
    this.hold(value, 99);
  }

  finish(): ScannedNumbers {
    this.flush();
    if (this.held === null) return this.counted === 0 ? this.emptyCounts() : this.trimmed();
    const values = this.held.subarray(0, this.filled);
    if (!sortDecimals(values, this.heldDecimals)) radixSortFloat64(values);
    return values;
  }

  private flush() {
    const n = this.inChunk;
    const decimals = Math.max(this.decimals, this.chunkDecimals);
    this.inChunk = 0;
    this.chunkDecimals = 0;
    if (n === 0) return;
    // The buffer's digits become keys k at the column's decimals.
    const keys = this.digits.subarray(0, n);
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const k = keys[i]! * POW10[decimals - this.scales[i]!]!;
      keys[i] = k;
      if (k < min) min = k;
      if (k > max) max = k;
    }
    if (this.held === null && (-min >= EXACT || max >= EXACT || !this.cover(min, max, decimals))) {
      this.holdCounted();
    }
    if (this.held !== null) {
      const scale = POW10[decimals]!;
      for (let i = 0; i < n; i++) this.hold(keys[i]! / scale, decimals);
      return;
    }
    const counts = this.counts;
    const low = this.low;
    for (let i = 0; i < n; i++) {
      const k = keys[i]!;
      counts[k - low]!++;
      if (k === 0 && 1 / k < 0) this.negativeZeros++;
    }
    this.counted += n;
  }

  /** Counters at `decimals` digits covering [min, max]; false when they would be too many. */
  private cover(min: number, max: number, decimals: number): boolean {
    if (decimals > 22) return false;
    const factor = this.decimals < 0 ? 1 : POW10[decimals - this.decimals]!;
    const high = this.low + this.counts.length - 1;
    if (factor === 1 && this.counts.length > 0 && min >= this.low && max <= high) return true;
    const from = this.counts.length > 0 ? Math.min(this.low * factor, min) : min;
    const to = this.counts.length > 0 ? Math.max(high * factor, max) : max;
    // Room on both sides, so a column's range is found in a few steps.
    const span = to - from + 1;
    const low = Math.floor(from - span / 4);
    const size = Math.ceil(span * 1.5) + 1;
    if (!Number.isSafeInteger(low) || size > Math.min(MAX_BUCKETS, BUCKETS_PER_VALUE * this.rows + 4096)) {
      return false;
    }
    const counts = new Int32Array(size);
    for (let i = 0; i < this.counts.length; i++) {
      if (this.counts[i]) counts[(this.low + i) * factor - low] = this.counts[i]!;
    }
    this.counts = counts;
    this.low = low;
    this.decimals = decimals;
    return true;
  }

  private emptyCounts(): DecimalCounts {
    return { low: 0, decimals: 0, counts: new Int32Array(0), negativeZeros: 0, total: 0 };
  }

  private trimmed(): DecimalCounts {
    let first = 0;
    let last = this.counts.length;
    while (first < last && this.counts[first] === 0) first++;
    while (last > first && this.counts[last - 1] === 0) last--;
    return {
      low: this.low + first,
      decimals: this.decimals,
      counts: this.counts.subarray(first, last),
      negativeZeros: this.negativeZeros,
      total: this.counted,
    };
  }

  /** From counting to holding: what was counted becomes values. */
  private holdCounted() {
    this.held = new Float64Array(Math.max(this.rows, this.counted + CHUNK));
    if (this.counted > 0) expandDecimalCounts(this.trimmed(), this.held);
    this.filled = this.counted;
    this.heldDecimals = Math.max(this.decimals, 0);
    this.counts = new Int32Array(0);
  }

  private hold(value: number, decimals: number) {
    if (this.filled === this.held!.length) {
      const next = new Float64Array(Math.ceil(this.filled * 1.5) + CHUNK);
      next.set(this.held!);
      this.held = next;
    }
    this.held![this.filled++] = value;
    if (decimals > this.heldDecimals) this.heldDecimals = decimals;
  }
}
