/** A run's folders made usable by the unprivileged user its container runs as. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../testing/tempDirs.ts';
import { runDirs, runUser, shareRunDirs } from './containerRun.ts';

const dirs = tempDirs();
const root = process.getuid?.() === 0;

describe('the run user', () => {
  it('is never root', () => {
    expect(runUser().uid).not.toBe(0);
    expect(runUser().gid).not.toBe(0);
  });

  it.skipIf(!root)(
    'gets the output folders, never what a link there points at; inputs become readable to it',
    async () => {
      const d = runDirs(dirs.make(), 'run');
      fs.mkdirSync(path.join(d.output, 'artifacts'), { recursive: true });
      fs.mkdirSync(d.data, { recursive: true });
      fs.mkdirSync(path.join(d.code, 'pkg'), { recursive: true, mode: 0o700 });
      fs.writeFileSync(path.join(d.code, 'pkg', 'train.py'), 'print(1)\n', { mode: 0o600 });
      fs.mkdirSync(d.config, { recursive: true });
      // As a container launched before for this run could have left it.
      const elsewhere = dirs.make();
      fs.symlinkSync(elsewhere, path.join(d.output, 'model'));

      await shareRunDirs(d, { uid: 65534, gid: 65534 });
      expect(fs.statSync(d.output).uid).toBe(65534);
      expect(fs.statSync(path.join(d.output, 'artifacts')).uid).toBe(65534);
      expect(fs.statSync(elsewhere).uid).toBe(0);
      expect(fs.lstatSync(path.join(d.output, 'model')).uid).toBe(0);
      expect(fs.statSync(path.join(d.code, 'pkg')).mode & 0o005).toBe(0o005);
      expect(fs.statSync(path.join(d.code, 'pkg', 'train.py')).mode & 0o004).toBe(0o004);
    },
  );
});
