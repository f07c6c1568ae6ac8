/**
 * The CLI as a CI pipeline uses it: separate processes on one home, JSON on stdout, exit codes,
 * and the store's guarantees under concurrency and SIGKILL.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeTree } from '../core/testing/fileTree.ts';
import { tempDirs } from '../core/testing/tempDirs.ts';
import { BIN, mlwb, mlwbJson, type Ran } from './testing/mlwbProcess.ts';

const dirs = tempDirs();
const json = mlwbJson;

function blobFiles(home: string): string[] {
  const root = path.join(home, 'objects', 'sha256');
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => d.name);
}

describe('mlwb dataset', () => {
  it('speaks JSON with the documented shapes and exit codes', async () => {
    const home = dirs.make();
    const src = dirs.make();
    writeTree(src, { 'a.csv': 'id,v\n1,x\n2,y\n', 'b.txt': 'b' });
    const add = await json(home, 'dataset', 'add', 'demo', src, '--message', 'first');
    expect(Object.keys(add).sort()).toEqual([
      'bytes',
      'created',
      'dataset',
      'digest',
      'files',
      'newBytes',
      'version',
      'warnings',
    ]);
    expect(add).toMatchObject({ dataset: 'demo', version: 1, created: true, files: 2 });
    fs.appendFileSync(path.join(src, 'a.csv'), '3,z\n');
    await json(home, 'dataset', 'add', 'demo', src);

    const diff = await json(home, 'dataset', 'diff', 'demo', '1', '2', '--key', 'id');
    expect(diff.files).toEqual({ added: [], removed: [], modified: ['a.csv'], unchanged: 1 });
    expect(diff.tables[0]).toMatchObject({
      path: 'a.csv',
      rows: { added: 1, removed: 0, changed: 0, unchanged: 2 },
    });
    const plain = await json(home, 'dataset', 'diff', 'demo', '1', '2');
    expect(plain.tables[0].rows).toEqual({ added: 1, removed: 0, changed: null, unchanged: null });

    const profile = await json(home, 'dataset', 'profile', 'demo@2');
    expect(profile.tables[0]).toMatchObject({ path: 'a.csv', rows: 3 });
    expect(profile.tables[0].columns[0]).toHaveProperty('quantiles');
    expect((await json(home, 'dataset', 'list')).datasets[0]).toMatchObject({ name: 'demo', versions: 2 });
    expect((await json(home, 'dataset', 'versions', 'demo')).versions.length).toBe(2);
    expect((await json(home, 'dataset', 'show', 'demo@1')).entries.length).toBe(2);

    const usage = await mlwb(home, 'dataset', 'add', 'demo');
    expect(usage.code).toBe(2);
    const missing = await mlwb(home, 'dataset', 'show', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: No dataset named "nope"/);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    const badName = await mlwb(home, 'dataset', 'add', 'a/b', src);
    expect(badName.code).toBe(1);
    expect(badName.stderr).toMatch(/cannot contain \//);
  });

  it('names a damaged or missing blob in verify and exits 3', async () => {
    const home = dirs.make();
    const src = dirs.make();
    writeTree(src, { 'one.txt': 'one', 'two.txt': 'two' });
    const add = await json(home, 'dataset', 'add', 'v', src);
    expect((await mlwb(home, 'verify')).code).toBe(0);
    const shown = await json(home, 'dataset', 'show', `v@${add.version}`);
    const [a, b] = shown.entries.map((e: { sha256: string }) => e.sha256);
    const fileA = path.join(home, 'objects', 'sha256', a.slice(0, 2), a.slice(2));
    fs.chmodSync(fileA, 0o644);
    fs.writeFileSync(fileA, 'tampered');
    fs.rmSync(path.join(home, 'objects', 'sha256', b.slice(0, 2), b.slice(2)));
    const r = await mlwb(home, 'verify', '--json');
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toEqual({
      objects: 2,
      corrupt: [a],
      missing: [b],
      usedBy: { [a]: ['v v1: one.txt'], [b]: ['v v1: two.txt'] },
    });
    const text = await mlwb(home, 'verify');
    expect(text.code).toBe(3);
    expect(text.stdout).toContain(`corrupt: ${a}\n  used by v v1: one.txt`);
    expect(text.stdout).toContain('The store is damaged');
  });

  it('turns two concurrent adds from two processes into two whole, consecutive versions', async () => {
    const home = dirs.make();
    await json(home, 'dataset', 'list'); // create the home first, as a user would have
    const a = dirs.make();
    const b = dirs.make();
    for (let i = 0; i < 300; i++) {
      writeTree(a, { [`f${i}.txt`]: `a${i}`.repeat(200) });
      writeTree(b, { [`f${i}.txt`]: `b${i}`.repeat(200) });
    }
    const [ra, rb] = await Promise.all([
      mlwb(home, 'dataset', 'add', 'race', a, '--json'),
      mlwb(home, 'dataset', 'add', 'race', b, '--json'),
    ]);
    const ok = [ra, rb].filter((r) => r.code === 0).map((r) => JSON.parse(r.stdout));
    for (const r of [ra, rb]) if (r.code !== 0) expect(r.stderr).toMatch(/CONFLICT|busy|locked/i);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    const { versions } = await json(home, 'dataset', 'versions', 'race');
    expect(versions.map((v: { version: number }) => v.version).sort()).toEqual(
      ok.map((o) => o.version).sort(),
    );
    expect(new Set(versions.map((v: { digest: string }) => v.digest)).size).toBe(versions.length);
    for (const v of versions) expect(v.files).toBe(300);
    expect((await mlwb(home, 'verify')).code).toBe(0);
  });

  it('leaves no partial version after SIGKILL mid-add; verify passes and gc removes the orphans', async () => {
    const home = dirs.make();
    const src = dirs.make();
    await json(home, 'dataset', 'list');
    for (let i = 0; i < 3000; i++) writeTree(src, { [`d${i % 10}/f${i}.bin`]: Buffer.alloc(8192, i % 251) });
    writeTree(src, { 'big.bin': Buffer.alloc(64 * 1024 * 1024, 3) });
    const child: ChildProcess = spawn(
      process.execPath,
      [BIN, '--home', home, 'dataset', 'add', 'crash', src],
      {
        stdio: 'ignore',
      },
    );
    // Kill once some blobs are in place but (with 3000 files) long before the commit.
    const deadline = Date.now() + 30_000;
    while (blobFiles(home).length < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const orphans = blobFiles(home).length;
    expect(orphans).toBeGreaterThanOrEqual(20);

    expect(await json(home, 'dataset', 'list')).toEqual({ datasets: [] });
    const verify = await mlwb(home, 'verify', '--json');
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toEqual({ objects: 0, corrupt: [], missing: [], usedBy: {} });
    const gc = await json(home, 'gc');
    expect(gc.removed).toBeGreaterThanOrEqual(orphans);
    expect(blobFiles(home)).toEqual([]);
    expect(fs.readdirSync(path.join(home, 'tmp')).filter((f) => f.endsWith('.part'))).toEqual([]);

    // The same add then completes, and gc keeps what it references.
    const done = await json(home, 'dataset', 'add', 'crash', src);
    expect(done).toMatchObject({ version: 1, files: 3001 });
    expect((await json(home, 'gc')).removed).toBe(0);
    expect((await mlwb(home, 'verify')).code).toBe(0);
  });
});

describe('mlwb start-up', () => {
  it('loads DuckDB, dockerode, ssh2 and onnxruntime only for commands that use them', async () => {
    const home = dirs.make();
    const probe = path.join(dirs.make(), 'probe.cjs');
    // Lists, at exit, the CommonJS modules the process loaded (native addons load through require).
    fs.writeFileSync(
      probe,
      "process.on('exit', () => require('fs').writeSync(2, '\\nLOADED ' + JSON.stringify(Object.keys(require.cache)) + '\\n'));",
    );
    const loaded = async (...args: string[]): Promise<string[]> => {
      const r = await new Promise<Ran>((resolve) =>
        execFile(
          process.execPath,
          ['--require', probe, BIN, '--home', home, ...args],
          (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }),
        ),
      );
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stderr.split('\nLOADED ').at(-1)!) as string[];
    };
    // esbuild is what a (re)build of the bundle or the tsx fallback loads: after one command has
    // made the bundle fresh, none should load it, so the probe also catches a silent fallback.
    await mlwb(home, '--version');
    const heavy = /node_modules\/(dockerode|ssh2|@duckdb|onnxruntime-node|tsx|esbuild)\//;
    for (const args of [['--help'], ['dataset', 'list', '--json'], ['gc']]) {
      expect(
        (await loaded(...args)).filter((m) => heavy.test(m)),
        args.join(' '),
      ).toEqual([]);
    }
    // The probe sees them when a command does use them.
    const src = dirs.make();
    writeTree(src, { 't.csv': 'a\n1\n' });
    await json(home, 'dataset', 'add', 't', src);
    expect((await loaded('dataset', 'profile', 't')).some((m) => m.includes('@duckdb'))).toBe(true);
  });

  it('reads a recipe through the bundle, whose lazily loaded YAML parser is CommonJS', async () => {
    // A param the recipe does not declare is refused only once its recipe.yaml has been parsed.
    const recipe = path.resolve(import.meta.dirname, '../../resources/recipes/sklearn-classifier');
    const r = await mlwb(dirs.make(), 'run', recipe, '--param', 'nope=1', '--json');
    expect(r.code, r.stderr).toBe(1);
    expect(JSON.parse(r.stdout).error).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/has no param "nope"\. Its params: label, C/),
    });
  });
});

describe('mlwb through npm', () => {
  const root = path.resolve(path.dirname(BIN), '..');
  /** `npx mlwb …` or `npm exec mlwb -- …` from the project folder, as a CI pipeline runs it. */
  function viaNpm(how: 'npx' | 'npm exec', home: string, ...args: string[]): Promise<Ran> {
    const [cmd, pre] = how === 'npx' ? ['npx', ['mlwb']] : ['npm', ['exec', 'mlwb', '--']];
    return new Promise((resolve) => {
      execFile(cmd, [...pre, '--home', home, ...args], { cwd: root }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  it('gives exactly one JSON document on stdout when a check fails (exit 3)', async () => {
    const home = dirs.make();
    const src = dirs.make();
    writeTree(src, { 'one.txt': 'one' });
    const add = await json(home, 'dataset', 'add', 'v', src);
    const sha = (await json(home, 'dataset', 'show', `v@${add.version}`)).entries[0].sha256;
    const blob = path.join(home, 'objects', 'sha256', sha.slice(0, 2), sha.slice(2));
    fs.chmodSync(blob, 0o644);
    fs.writeFileSync(blob, 'tampered');
    for (const how of ['npx', 'npm exec'] as const) {
      const r = await viaNpm(how, home, 'verify', '--json');
      expect(r.code, `${how}: ${r.stderr}`).toBe(3);
      expect(JSON.parse(r.stdout), how).toMatchObject({ corrupt: [sha] });
    }

    const ref = path.join(src, 'ref.csv');
    const cur = path.join(src, 'cur.csv');
    fs.writeFileSync(ref, `x\n${Array.from({ length: 200 }, (_, i) => i).join('\n')}\n`);
    fs.writeFileSync(cur, `x\n${Array.from({ length: 200 }, (_, i) => i + 500).join('\n')}\n`);
    const drift = await viaNpm('npx', home, 'drift', '--reference', ref, '--current', cur, '--json');
    expect(drift.code, drift.stderr).toBe(3);
    expect(JSON.parse(drift.stdout)).toMatchObject({ datasetDrift: true });
    // An error is one document too: the error object, nothing appended.
    const missing = await viaNpm('npx', home, 'dataset', 'show', 'nope', '--json');
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout).error.code).toBe('NOT_FOUND');
  });
});

describe('mlwb runs list', () => {
  it('applies a filter saved on the Runs page by its name, and says which names exist', async () => {
    const home = dirs.make();
    const { openWorkbench } = await import('../core/workbench.ts');
    const wb = await openWorkbench(home);
    try {
      for (const [name, acc] of [
        ['low', 0.5],
        ['high', 0.95],
      ] as const) {
        const id = wb.tracking.createRun({ experimentId: '0', name, status: 'FINISHED' });
        wb.tracking.logMetrics(id, [{ key: 'acc', value: acc, timestamp: Date.now(), step: 0 }]);
      }
      wb.filters.save('runs', 'good', 'metrics.acc > 0.9');
    } finally {
      await wb.close();
    }
    const page = await json(home, 'runs', 'list', '--saved', 'good');
    expect(page.runs.map((r: { name: string }) => r.name)).toEqual(['high']);
    const unknown = await mlwb(home, 'runs', 'list', '--saved', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No saved filter named "nope". Saved: "good".');
    expect((await mlwb(home, 'runs', 'list', '--saved', 'good', '--filter', 'x')).code).toBe(2);
  });
});
