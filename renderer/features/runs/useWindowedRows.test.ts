import { describe, expect, it } from 'vitest';
import { columnWindow } from './useWindowedRows.ts';

// 30 columns of 100 px after a 36 px leading column; the margin either side is 480 px.
const widths = Array.from({ length: 30 }, () => 100);

describe('columnWindow', () => {
  it('renders the columns in view plus the margin, from the left edge', () => {
    // View 0..1000 → columns overlapping -516..1444 past the leading 36 px: 0..14.
    expect(columnWindow(widths, 36, { left: 0, width: 1000 })).toEqual({ start: 0, end: 15 });
  });

  it('follows a horizontal scroll, dropping the columns far to the left', () => {
    // View 1500..2500 → -516+1500 = 984..2944 → columns 9 (900..1000) through 29.
    expect(columnWindow(widths, 36, { left: 1500, width: 1000 })).toEqual({ start: 9, end: 30 });
  });

  it('keeps a column partly in the margin, and handles no columns', () => {
    // Scrolled to the right end: the margin starts at 1984, inside column 19 (1900..2000).
    expect(columnWindow(widths, 36, { left: 2500, width: 536 })).toEqual({ start: 19, end: 30 });
    expect(columnWindow([], 36, { left: 0, width: 1000 })).toEqual({ start: 0, end: 0 });
  });

  it('renders every column of a table narrower than the view', () => {
    expect(columnWindow([112, 190, 112, 92], 36, { left: 0, width: 1300 })).toEqual({ start: 0, end: 4 });
  });
});
