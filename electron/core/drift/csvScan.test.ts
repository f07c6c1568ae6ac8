/**
 * Plain CSV read in JavaScript gives exactly DuckDB's report: the same values, counts and verdicts
 * on files with every feature the reader takes (quotes, CRLF, tabs, exponents, long numbers, both
 * zeros, UTF-8, empty fields and columns, a last line without its line break, mixed types and
 * type overrides that DuckDB answers), and every file it does not take goes to DuckDB whole.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DriftOptionsInput } from '../../../shared/drift.ts';
import { tempDirs } from '../testing/tempDirs.ts';
import { type CsvLayout, MAX_LINE, SCAN_LIMITS, scanCsv } from './csvScan.ts';
import { startCsvScanner } from './csvScanner.ts';
import { driftCheckFiles } from './driftCheck.ts';
import { openFileDataset } from './driftSource.ts';

const dirs = tempDirs();
let dir: string;
beforeAll(() => {
  dir = dirs.make();
});

let seed = 99;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;

/** A table with every value shape the reader takes, `shift` moving current's distributions. */
function rows(n: number, shift: number): string[][] {
  const header = ['price', 'ratio', 'big', 'id', 'flag', 'city', 'note', 'zero', 'sparse', 'mixed'];
  const out = [header];
  for (let k = 0; k < n; k++) {
    out.push([
      (Math.round((20 + 5 * random() + shift) * 100) / 100).toString(),
      pick(['1e5', '1.5E-3', '2e+2', '-3.25e1', `${random() + shift}`, '0.1', '12345678901234567.5']),
      String(Math.floor(random() * 1e17) + 1e17),
      String(Math.floor(random() * (40 + shift * 10)) - 5),
      random() < 0.3 + shift / 10 ? 'true' : 'false',
      pick(['"Zürich"', 'Kraków', '"São Paulo, BR"', 'Oslo', '東京', shift ? 'Lyon' : 'Nice']),
      random() < 0.2 ? '' : random() < 0.1 ? '""' : pick(['a b', ' lead', 'trail ', 'x']),
      pick(['-0.0', '0.0', '0', '-0', '1.5']),
      random() < 0.9 ? '' : String(Math.floor(random() * 3)),
      shift && random() < 0.05 ? 'n/a' : (Math.round(random() * 1000) / 10).toString(),
    ]);
  }
  return out;
}

async function write(name: string, table: string[][], { delimiter = ',', eol = '\n', lastEol = true } = {}) {
  const text = table.map((r) => r.join(delimiter)).join(eol) + (lastEol ? eol : '');
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function readBy(reference: string, current: string) {
  const dataset = await openFileDataset(reference, current);
  await dataset.close();
  return dataset.readBy;
}

const plainLayout = (path: string, types: CsvLayout['types']): CsvLayout => ({
  path,
  delimiter: ',',
  quote: '"',
  crlf: false,
  types,
});

async function bothWays(reference: string, current: string, options: DriftOptionsInput = {}) {
  const scanned = await driftCheckFiles(reference, current, options);
  const duck = await driftCheckFiles(reference, current, options, { scanCsv: false });
  return { scanned, duck };
}

describe('plain CSV read in JavaScript', () => {
  it('gives DuckDB’s report, method by method, on a file with every shape of value it reads', async () => {
    const ref = await write('all-ref.csv', rows(3000, 0));
    const cur = await write('all-cur.csv', rows(2500, 1));
    expect(await readBy(ref, cur)).toBe('csvScan');
    for (const options of [
      {},
      { method: 'psi' as const },
      { method: 'ks' as const },
      { method: 'chisquare' as const },
      { columnTypes: { id: 'categorical' as const, city: 'numerical' as const } },
    ]) {
      const { scanned, duck } = await bothWays(ref, cur, options);
      expect(scanned, JSON.stringify(options)).toEqual(duck);
    }
    const { scanned } = await bothWays(ref, cur);
    expect(scanned.columns.map((c) => `${c.column}:${c.storage.reference}`)).toEqual([
      'price:float',
      'ratio:float',
      'big:integer',
      'id:integer',
      'flag:boolean',
      'city:string',
      'note:string',
      'zero:float',
      'sparse:integer',
      'mixed:float',
    ]);
  });

  it('gives DuckDB’s report for TSV, CRLF lines and a last line without its line break', async () => {
    const table = rows(1500, 0);
    const other = rows(1500, 1).map((r) => r.slice(0, 9));
    const shapes = [
      { name: 'tsv', ext: 'tsv', delimiter: '\t' },
      { name: 'crlf', ext: 'csv', eol: '\r\n' },
      { name: 'open', ext: 'csv', lastEol: false },
    ];
    for (const { name, ext, ...shape } of shapes) {
      const ref = await write(`${name}-ref.${ext}`, table, shape);
      const cur = await write(`${name}-cur.${ext}`, other, shape);
      expect(await readBy(ref, cur), name).toBe('csvScan');
      const { scanned, duck } = await bothWays(ref, cur);
      expect(scanned, name).toEqual(duck);
    }
  });

  it('reads the values DuckDB reads, and leaves a file it may read otherwise to DuckDB', async () => {
    const layout = (path: string, types: CsvLayout['types']): CsvLayout => ({
      path,
      delimiter: ',',
      quote: '"',
      crlf: false,
      types,
    });
    const numbers = ['0.1', '-0.0', '1e5', '123456789012345678', '3.14159265358979323846', '7', '-2.5E-3'];
    const ok = await write('values.csv', [['x', 's'], ...numbers.map((x, k) => [x, `"v${k % 2}"`])]);
    const scan = await scanCsv(layout(ok, ['DOUBLE', 'VARCHAR']));
    expect(scan?.rows).toBe(numbers.length);
    expect(Array.from(scan!.columns[0]!.numbers as Float64Array)).toEqual(
      numbers.map(Number).sort((a, b) => a - b),
    );
    expect(scan!.columns[1]!.counts).toEqual(
      new Map([
        ['v0', 4],
        ['v1', 3],
      ]),
    );
    const odd: [string, string][] = [
      ['nan', 'x,s\n1.5,a\nnan,b\n'],
      ['plus', 'x,s\n+1.5,a\n'],
      ['trailing point', 'x,s\n5.,a\n'],
      ['lone minus', 'x,s\n-,a\n'],
      ['empty file', ''],
      ['space', 'x,s\n 1.5,a\n'],
      ['escaped quote', 'x,s\n1,"a""b"\n'],
      ['quoted line break', 'x,s\n1,"a\nb"\n'],
      ['short line', 'x,s\n1\n'],
      ['empty line', 'x,s\n1,a\n\n2,b\n'],
      ['byte-order mark', '\ufeffx,s\n1,a\n'],
    ];
    for (const [name, text] of odd) {
      const path = join(dir, `odd-${name.replaceAll(' ', '-')}.csv`);
      await writeFile(path, text);
      expect(await scanCsv(layout(path, ['DOUBLE', 'VARCHAR'])), name).toBeNull();
    }
    await writeFile(join(dir, 'latin1.csv'), Buffer.from('x,s\n1,caf\xe9\n', 'latin1'));
    expect(await scanCsv(layout(join(dir, 'latin1.csv'), ['DOUBLE', 'VARCHAR']))).toBeNull();
  });

  it('gives DuckDB’s report when a file is left to DuckDB', async () => {
    const ref = await write('nan-ref.csv', [
      ['x', 'c'],
      ...Array.from({ length: 300 }, (_, k) => [String(k % 17), 'a']),
    ]);
    const cur = await write('nan-cur.csv', [
      ['x', 'c'],
      ...Array.from({ length: 300 }, (_, k) => [k === 5 ? 'nan' : String(k % 19), 'b']),
    ]);
    expect(await readBy(ref, cur)).toBe('duckdb');
    const { scanned, duck } = await bothWays(ref, cur);
    expect(scanned).toEqual(duck);
  });

  it('reads in a second thread, and stops when cancelled', async () => {
    const path = await write('big.csv', rows(40_000, 0));
    const layout: CsvLayout = {
      path,
      delimiter: ',',
      quote: '"',
      crlf: false,
      types: [
        'DOUBLE',
        'DOUBLE',
        'BIGINT',
        'BIGINT',
        'BOOLEAN',
        'VARCHAR',
        'VARCHAR',
        'DOUBLE',
        'BIGINT',
        'DOUBLE',
      ],
    };
    const scanner = startCsvScanner();
    try {
      expect(await scanner.scan(layout)).toEqual(await scanCsv(layout));
    } finally {
      scanner.stop();
    }
    const controller = new AbortController();
    controller.abort();
    await expect(scanCsv(layout, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('leaves a line near DuckDB’s 2 MiB limit to DuckDB, inside a chunk as across chunks', async () => {
    // The long line is 'y'×n + ',2\n': n + 3 bytes.
    const table = (n: number) => [
      ['s', 'x'],
      ...Array.from({ length: 6 }, (_, k) => [k === 2 ? 'y'.repeat(n) : 'a', String(k)]),
    ];
    const under = await write('line-under.csv', table(MAX_LINE - 4));
    const at = await write('line-at.csv', table(MAX_LINE - 3));
    const over = await write('line-over.csv', table(3 << 20));
    const types: CsvLayout['types'] = ['VARCHAR', 'BIGINT'];
    expect(await scanCsv(plainLayout(under, types))).not.toBeNull();
    expect(await scanCsv(plainLayout(at, types))).toBeNull();
    expect(await scanCsv(plainLayout(over, types))).toBeNull();
    expect(await readBy(under, under)).toBe('csvScan');
    expect(await readBy(at, under)).toBe('duckdb');
    const { scanned, duck } = await bothWays(at, under);
    expect(scanned).toEqual(duck);
  });

  it('leaves a file to DuckDB past the numbers or distinct text a scan may hold', async () => {
    // Long lines first, so the rows estimated from the first megabyte are far too few.
    const numbers = await write('short-after-long.csv', [
      ['s', 'x'],
      ...Array.from({ length: 1000 }, (_, k) => ['y'.repeat(1100), String(k)]),
      ...Array.from({ length: 200_000 }, (_, k) => ['a', String(k % 10)]),
    ]);
    const types: CsvLayout['types'] = ['VARCHAR', 'BIGINT'];
    expect((await scanCsv(plainLayout(numbers, types)))?.rows).toBe(201_000);
    expect(
      await scanCsv(plainLayout(numbers, types), undefined, { ...SCAN_LIMITS, numbers: 10_000 }),
    ).toBeNull();
    // 60 distinct values in each of two text columns, 8 bytes each.
    const texts = await write('distinct.csv', [
      ['s', 't'],
      ...Array.from({ length: 60 }, (_, k) => [
        `s${String(k).padStart(7, '0')}`,
        `t${String(k).padStart(7, '0')}`,
      ]),
    ]);
    const two: CsvLayout['types'] = ['VARCHAR', 'VARCHAR'];
    const scan = (limits: Partial<typeof SCAN_LIMITS>) =>
      scanCsv(plainLayout(texts, two), undefined, { ...SCAN_LIMITS, ...limits });
    expect(await scan({ textValues: 120, textBytes: 960 })).not.toBeNull();
    expect(await scan({ textValues: 119 })).toBeNull();
    expect(await scan({ textBytes: 959 })).toBeNull();
  });

  it('leaves a text value starting with U+FEFF to DuckDB, whose values meet once it is dropped', async () => {
    const ref = await write('bom-value-ref.csv', [
      ['s', 'x'],
      ...Array.from({ length: 30 }, (_, k) => [k % 3 ? 'a' : '\ufeffa', String(k % 4)]),
    ]);
    const cur = await write('bom-value-cur.csv', [
      ['s', 'x'],
      ...Array.from({ length: 30 }, (_, k) => [k % 2 ? 'a' : 'b', String(k % 5)]),
    ]);
    expect(await readBy(ref, cur)).toBe('duckdb');
    const { scanned, duck } = await bothWays(ref, cur);
    expect(scanned).toEqual(duck);
    const dataset = await openFileDataset(ref, cur, { scanCsv: false });
    try {
      const counts = await dataset.column('s').categoryCounts('text');
      expect(counts?.values).toEqual(['a', 'b']);
      expect(Array.from(counts!.reference)).toEqual([30, 0]);
    } finally {
      await dataset.close();
    }
  });

  it('leaves the files to DuckDB when the scanner thread fails', async () => {
    const ref = await write('thread-ref.csv', rows(500, 0));
    const cur = await write('thread-cur.csv', rows(500, 1));
    const broken = () => startCsvScanner(new URL('file:///nonexistent/mlwb-missing-worker.js'));
    const dataset = await openFileDataset(ref, cur, { scanner: broken() });
    await dataset.close();
    expect(dataset.readBy).toBe('duckdb');
    const report = await driftCheckFiles(ref, cur, {}, { scanner: broken() });
    expect(report).toEqual(await driftCheckFiles(ref, cur, {}, { scanCsv: false }));
  });
});
