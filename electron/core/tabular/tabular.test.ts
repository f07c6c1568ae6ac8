import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeTree } from '../testing/fileTree.ts';
import { tempDirs } from '../testing/tempDirs.ts';
import { testWorkbench } from '../testing/testWorkbench.ts';

const dirs = tempDirs();
const app = testWorkbench();

describe('profiles', () => {
  it('profiles CSV, TSV and JSON Lines with statistics DuckDB and arithmetic agree on', async () => {
    const src = dirs.make();
    const rows = Array.from(
      { length: 100 },
      (_, i) => `${i},${i % 3 === 0 ? '' : (i * 0.5).toFixed(1)},${['a', 'b', 'c', 'b'][i % 4]}`,
    );
    writeTree(src, {
      'train.csv': `id,score,label\n${rows.join('\n')}\n`,
      'eval.tsv': 'k\tv\n1\tx\n2\ty\n',
      'events.jsonl': '{"a":1,"b":"p"}\n{"a":2,"b":null}\n',
      'notes.txt': 'not a table',
    });
    await app.api.call('datasets.add', { name: 'p', paths: [src] });
    const prof = await app.api.call('datasets.profile', { name: 'p' });
    expect(prof.tables.map((t) => t.path).sort()).toEqual(['eval.tsv', 'events.jsonl', 'train.csv']);
    const train = prof.tables.find((t) => t.path === 'train.csv')!;
    expect(train.rows).toBe(100);
    const id = train.columns.find((c) => c.name === 'id')!;
    expect(id).toMatchObject({ type: 'integer', missing: 0, distinct: 100, min: 0, max: 99, mean: 49.5 });
    expect(id.std).toBeCloseTo(29.011492, 5);
    expect(id.histogram!.counts.reduce((a, b) => a + b, 0)).toBe(100);
    const score = train.columns.find((c) => c.name === 'score')!;
    expect(score.missing).toBe(34);
    const label = train.columns.find((c) => c.name === 'label')!;
    expect(label).toMatchObject({ type: 'string', distinct: 3 });
    expect(label.top[0]).toEqual({ value: 'b', count: 50 });
    const events = prof.tables.find((t) => t.path === 'events.jsonl')!;
    expect(events.columns.find((c) => c.name === 'b')!.missing).toBe(1);
    expect(prof.tables.find((t) => t.path === 'eval.tsv')!.columns.map((c) => c.name)).toEqual(['k', 'v']);
  });

  it('reports malformed files per file and still creates the version', async () => {
    const src = dirs.make();
    writeTree(src, {
      'ragged.csv': 'a,b,c\n1,2,3\n4,5\n6,7,8,9\n',
      'quotes.csv': 'a,b\n"1,2\n3,4\n',
      'latin1.csv': Buffer.concat([
        Buffer.from('name,city\nJos'),
        Buffer.from([0xe9]),
        Buffer.from(',Z\xfcrich\n', 'latin1'),
      ]),
      'bom.csv': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('x,y\n1,2\n')]),
      'empty.csv': '',
      'header.csv': 'x,y,z\n',
      'good.csv': 'x\n1\n',
    });
    const added = await app.api.call('datasets.add', { name: 'bad', paths: [src] });
    expect(added.created).toBe(true);
    const prof = await app.api.call('datasets.profile', { name: 'bad' });
    const by = Object.fromEntries(prof.tables.map((t) => [t.path, t]));
    expect(by['ragged.csv']!.error).toMatch(/ragged|fields|columns/i);
    expect(by['quotes.csv']!.error).toBeTruthy();
    expect(by['latin1.csv']!.error).toMatch(/UTF-8/);
    expect(by['bom.csv']!.error).toBeUndefined();
    expect(by['bom.csv']!.columns.map((c) => c.name)).toEqual(['x', 'y']);
    expect(by['bom.csv']!.warnings.join()).toMatch(/byte order mark/);
    expect(by['empty.csv']!.error).toMatch(/empty/);
    expect(by['header.csv']!.rows).toBe(0);
    expect(by['header.csv']!.columns.map((c) => c.name)).toEqual(['x', 'y', 'z']);
    expect(by['good.csv']!.rows).toBe(1);
  });
});

describe('diffs', () => {
  it('finds files added, removed and modified, and rows added, removed and changed by key', async () => {
    const a = dirs.make();
    const b = dirs.make();
    writeTree(a, {
      'people.csv': 'id,name,age\n1,ann,30\n2,bob,40\n3,cy,50\n',
      'gone.txt': 'bye',
      'same.txt': 'same',
    });
    writeTree(b, {
      'people.csv': 'id,name,age,city\n1,ann,31,x\n3,cy,50,y\n4,dee,20,z\n5,eve,22,w\n',
      'new.txt': 'hi',
      'same.txt': 'same',
    });
    await app.api.call('datasets.add', { name: 'd', paths: [a] });
    await app.api.call('datasets.add', { name: 'd', paths: [b] });
    const plain = await app.api.call('datasets.diff', { name: 'd', from: 1, to: 2 });
    expect(plain.files).toEqual({
      added: ['new.txt'],
      removed: ['gone.txt'],
      modified: ['people.csv'],
      unchanged: 1,
    });
    const t = plain.tables[0]!;
    expect(t.schema).toEqual({ addedColumns: ['city'], removedColumns: [], typeChanges: [] });
    // Compared on common columns (id, name, age): ann's age changed → one removed, one added.
    expect(t.rows).toEqual({ added: 3, removed: 2, changed: null, unchanged: null });

    const keyed = await app.api.call('datasets.diff', { name: 'd', from: 1, to: 2, key: 'id' });
    expect(keyed.tables[0]!.rows).toEqual({ added: 2, removed: 1, changed: 1, unchanged: 1 });
    expect(keyed.tables[0]!.samples!.added.map((r) => r.name).sort()).toEqual(['dee', 'eve']);

    const badKey = await app.api.call('datasets.diff', { name: 'd', from: 1, to: 2, key: 'nope' });
    expect(badKey.tables[0]!.error).toMatch(/key column "nope"/);
  });

  it('reports type changes', async () => {
    const a = dirs.make();
    const b = dirs.make();
    writeTree(a, { 't.csv': 'k,v\n1,2\n2,3\n' });
    writeTree(b, { 't.csv': 'k,v\n1,2.5\n2,x\n' });
    await app.api.call('datasets.add', { name: 'types', paths: [path.join(a, 't.csv')] });
    await app.api.call('datasets.add', { name: 'types', paths: [path.join(b, 't.csv')] });
    const d = await app.api.call('datasets.diff', { name: 'types', from: 1, to: 2, key: 'k' });
    expect(d.tables[0]!.schema.typeChanges).toEqual([{ column: 'v', from: 'integer', to: 'string' }]);
    expect(d.tables[0]!.rows.changed).toBe(2);
  });
});

describe('rows', () => {
  it('pages through a table in file order, with numbers as numbers and missing values as null', async () => {
    const src = dirs.make();
    writeTree(src, {
      'a.csv': 'sepal_length,species,n\n5.1,setosa,1\n4.9,,2\n6.3,virginica,3\n',
      'b.jsonl': '{"x":true}\n',
    });
    await app.api.call('datasets.add', { name: 'rows', paths: [src] });
    const first = await app.api.call('datasets.rows', { name: 'rows', limit: 2 });
    expect(first).toEqual({
      path: 'a.csv',
      columns: ['sepal_length', 'species', 'n'],
      rows: [
        { sepal_length: 5.1, species: 'setosa', n: 1 },
        { sepal_length: 4.9, species: null, n: 2 },
      ],
      offset: 0,
      total: 3,
    });
    const next = await app.api.call('datasets.rows', { name: 'rows', offset: 2 });
    expect(next.rows).toEqual([{ sepal_length: 6.3, species: 'virginica', n: 3 }]);
    expect((await app.api.call('datasets.rows', { name: 'rows', path: 'b.jsonl' })).rows).toEqual([
      { x: true },
    ]);
    await expect(app.api.call('datasets.rows', { name: 'rows', path: 'c.csv' })).rejects.toThrow(
      /has no table c\.csv\. Its tables: a\.csv, b\.jsonl/,
    );
  });
});
