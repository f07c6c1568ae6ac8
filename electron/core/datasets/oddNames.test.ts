/**
 * Folders as they come from other systems: a file whose name is not valid UTF-8, or that holds
 * `..\`, is skipped and named (escaped) in the warnings; the rest of the folder is added.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeTree } from '../testing/fileTree.ts';
import { tempDirs } from '../testing/tempDirs.ts';
import { testWorkbench } from '../testing/testWorkbench.ts';

const dirs = tempDirs();
const app = testWorkbench({ each: true });

describe('adding a folder with odd file names', () => {
  it('adds the rest and reports a name that is not valid UTF-8 by its escaped bytes', async () => {
    const src = dirs.make();
    writeTree(src, { 'good.csv': 'a\n1\n', 'sub/ok.txt': 'ok' });
    // b"caf\xe9.csv": Latin-1, as an old Windows share would hand it over.
    const bad = Buffer.concat([Buffer.from(`${src}/sub/caf`), Buffer.from([0xe9]), Buffer.from('.csv')]);
    fs.writeFileSync(bad, 'x\n');
    const r = await app.api.call('datasets.add', { name: 'odd', paths: [src] });
    expect(r.files).toBe(2);
    expect(r.warnings).toEqual([
      'Skipped sub/caf\\xe9.csv: its name is not valid UTF-8. Rename it to add it.',
    ]);
    const shown = await app.api.call('datasets.show', { name: 'odd' });
    expect(shown.entries.map((e) => e.path)).toEqual(['good.csv', 'sub/ok.txt']);
  });

  it('skips a name that would climb out of the folder through backslashes, and keeps the others', async () => {
    const src = dirs.make();
    writeTree(src, { 'a.txt': 'a' });
    fs.writeFileSync(path.join(src, '..\\evil.txt'), 'e');
    fs.writeFileSync(path.join(src, 'win\\style.txt'), 'w');
    const r = await app.api.call('datasets.add', { name: 'bs', paths: [src] });
    expect(r.warnings).toEqual(['Skipped "..\\\\evil.txt": its name would leave the dataset\'s folder.']);
    const shown = await app.api.call('datasets.show', { name: 'bs' });
    expect(shown.entries.map((e) => e.path)).toEqual(['a.txt', 'win/style.txt']);
  });
});
