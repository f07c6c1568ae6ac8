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
import { type CsvLayout, scanCsv } from './csvScan.ts';
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
});
