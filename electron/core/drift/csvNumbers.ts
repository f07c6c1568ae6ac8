/**
 * One number column as csvScan.ts reads it. Values go into a small buffer reused all along, and
 * each full buffer is counted per integer k = x·10^d (statistics/decimalSort.ts) while the column
 * fits a range of counters a few times its rows: prices, measurements and integers, most columns
 * there are. So the column costs a megabyte or so, where holding its values costs 8 MB a million
 * rows; on this machine fresh memory costs more than the parsing (page faults: ~0.4 s for a
 * 1M × 12-number file). Counting a buffer at a time keeps one column's counters in cache (counting
 * each value as it is read was 4× slower: twelve columns' counters do not fit).
 *
 * A column that stops fitting — more decimals, a wider range, a number only Number() reads — has
 * its counts written out as values and is held, and sorted at the end.
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
/** Marks a value read by Number(): its decimals are unknown, so the column is held. */
export const UNKNOWN_DECIMALS = 99;

/** A column's numbers: counted, or held in ascending order. */
export type ScannedNumbers = DecimalCounts | Float64Array;

export class NumberColumn {
  private readonly chunk = new Float64Array(CHUNK);
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
  private heldDecimals = 0;

  /** @param rows Expected rows, which bound the counters. */
  constructor(private readonly rows: number) {}

  /** A value and how many digits it had after the point (UNKNOWN_DECIMALS if unknown). */
  add(value: number, decimals: number) {
    this.chunk[this.inChunk++] = value;
    if (decimals > this.chunkDecimals) this.chunkDecimals = decimals;
    if (this.inChunk === CHUNK) this.flush();
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
    const decimals = this.chunkDecimals;
    this.inChunk = 0;
    this.chunkDecimals = 0;
    if (n === 0) return;
    const values = this.chunk.subarray(0, n);
    if (this.held === null && !this.count(values, decimals)) this.holdCounted();
    if (this.held !== null) this.hold(values, decimals);
  }

  /** Counts the values, or answers false having counted none of them. */
  private count(values: Float64Array, decimals: number): boolean {
    const d = Math.max(this.decimals, decimals);
    if (d > 15) return false;
    const scale = 10 ** d;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
      // Exactly k / 10^d for an integer k: one division, which rounds as the reading did.
      if (Math.round(v * scale) / scale !== v) return false;
    }
    if (!this.cover(Math.round(min * scale), Math.round(max * scale), d)) return false;
    const counts = this.counts;
    const low = this.low;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      counts[Math.round(v * scale) - low]!++;
      if (v === 0 && 1 / v < 0) this.negativeZeros++;
    }
    this.counted += values.length;
    return true;
  }

  /** Counters at `decimals` digits covering [min, max]; false when they would be too many. */
  private cover(min: number, max: number, decimals: number): boolean {
    const factor = this.decimals < 0 ? 1 : 10 ** (decimals - this.decimals);
    const high = this.low + this.counts.length - 1;
    const inside =
      factor === 1 && this.counts.length > 0 && min >= this.low && max <= high && this.decimals === decimals;
    if (inside) return true;
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

  private hold(values: Float64Array, decimals: number) {
    if (this.filled + values.length > this.held!.length) {
      const next = new Float64Array(Math.ceil((this.filled + values.length) * 1.5));
      next.set(this.held!.subarray(0, this.filled));
      this.held = next;
    }
    this.held!.set(values, this.filled);
    this.filled += values.length;
    if (decimals > this.heldDecimals) this.heldDecimals = decimals;
  }
}
