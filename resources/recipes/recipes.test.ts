/**
 * The example recipes: their recipe.yaml, and — when a Docker engine and the offline image are there — a real
 * run of each in the engine, mounted the way the workbench mounts a run (docs/architecture.md §5), with
 * the workbench's mlwb_io.py next to the recipe's files as its code snapshot has it.
 */
import { execFile } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The one mlwb_io.py; the workbench adds it to every run's code (training/codeSnapshot.ts). */
const HELPER = join(HERE, '..', 'runtime', 'mlwb_io.py');
const IMAGE = 'mlwb/python-sklearn:bookworm';
const RECIPES = [
  {
    dir: 'sklearn-classifier',
    keys: ['loss', 'accuracy', 'val_loss', 'val_accuracy'],
    quality: 'val_accuracy',
  },
  { dir: 'sklearn-regression', keys: ['rmse', 'r2', 'val_rmse', 'val_r2'], quality: 'val_r2' },
] as const;

interface Param {
  type: string;
  default: unknown;
}
interface Recipe {
  name: string;
  image: string;
  command: string[];
  params: Record<string, Param>;
  metrics: { key: string; regex: string }[];
  resources: { cpus: number; memory: string; gpus: number };
}

const readRecipe = (dir: string): Recipe =>
  parse(readFileSync(join(HERE, dir, 'recipe.yaml'), 'utf8')) as Recipe;

interface Exec {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(file: string, args: string[], timeout = 120_000): Promise<Exec> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr: stderr || (err && code === -1 ? String(err.message) : '') });
    });
  });
}

/** Why the engine tests cannot run here, or undefined when they can. */
async function engineProblem(): Promise<string | undefined> {
  const info = await exec('docker', ['info', '--format', '{{.ServerVersion}}'], 20_000);
  if (info.code !== 0) return 'no Docker engine reachable (start one: dockerd > /tmp/dockerd.log 2>&1 &)';
  const image = await exec('docker', ['image', 'inspect', IMAGE], 20_000);
  if (image.code !== 0) return `image ${IMAGE} missing (build it: npm run images:offline)`;
  return undefined;
}

const problem = await engineProblem();
const required = process.env.MLWB_REQUIRE_DOCKER === '1';
const skipEngine = problem !== undefined && !required;
const engineTest = (name: string) => (skipEngine ? `${name} — skipped: ${problem}` : name);

const workDirs: string[] = [];
afterAll(() => {
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs a recipe as the workbench does (electron/core/training/containerRun.ts): code and data
 * read-only, no network, not root, no capabilities, no new privileges, a pids limit, a read-only
 * root with a tmpfs /tmp as HOME, limits.
 */
async function runRecipe(dir: string, dataDir: string, params: Record<string, unknown>) {
  if (problem) throw new Error(`MLWB_REQUIRE_DOCKER=1 but ${problem}`);
  const work = mkdtempSync(join(tmpdir(), 'mlwb-recipe-'));
  workDirs.push(work);
  const [code, config, output] = [join(work, 'code'), join(work, 'config'), join(work, 'output')];
  // The recipe's files and the helper, as a run's code snapshot holds them.
  cpSync(join(HERE, dir), code, { recursive: true });
  cpSync(HELPER, join(code, 'mlwb_io.py'));
  mkdirSync(config);
  mkdirSync(output);
  writeFileSync(join(config, 'params.json'), JSON.stringify(params));
  const recipe = readRecipe(dir);
  // As the invoking user, so the outputs stay removable when the tests do not run as root; as
  // nobody, owning the output folder, when they do.
  const uid = process.getuid?.() ?? 0;
  const user = uid === 0 ? '65534:65534' : `${uid}:${process.getgid?.() ?? uid}`;
  if (uid === 0) chownSync(output, 65534, 65534);
  // biome-ignore format: docker flags read best in pairs
  const run = await exec('docker', [
    'run', '--rm', '--security-opt', 'no-new-privileges', '--network', 'none',
    '--user', user, '--cap-drop', 'ALL', '--pids-limit', '4096',
    '--read-only', '--tmpfs', '/tmp:rw,nosuid,nodev,mode=1777', '-e', 'HOME=/tmp',
    '--memory', recipe.resources.memory, '--cpus', String(recipe.resources.cpus),
    '-e', 'MLWB_SEED=1', '-e', 'MLWB_RUN_ID=recipes-test', '--label', 'io.mlwb.test=recipes',
    '-v', `${code}:/workbench/code:ro`,
    '-v', `${dataDir}:/workbench/input/data/train:ro`,
    '-v', `${config}:/workbench/input/config:ro`,
    '-v', `${output}:/workbench/output`,
    '-w', '/workbench/code', IMAGE, ...recipe.command,
  ]);
  return { ...run, output, recipe };
}

const defaultsOf = (recipe: Recipe) =>
  Object.fromEntries(Object.entries(recipe.params).map(([k, p]) => [k, p.default]));

/** Walks an ONNX ModelProto's top-level protobuf fields: proves the file is one well-formed message. */
function onnxTopLevel(buf: Buffer): Map<number, number | Buffer> {
  const fields = new Map<number, number | Buffer>();
  let pos = 0;
  const varint = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = buf[pos++];
      if (byte === undefined || shift > 49) throw new Error(`truncated varint at ${pos}`);
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  while (pos < buf.length) {
    const tag = varint();
    const [field, wire] = [Math.floor(tag / 8), tag % 8];
    if (wire === 0) fields.set(field, varint());
    else if (wire === 2) {
      const length = varint();
      if (pos + length > buf.length) throw new Error(`field ${field} overruns the file`);
      fields.set(field, buf.subarray(pos, pos + length));
      pos += length;
    } else throw new Error(`unexpected wire type ${wire} for field ${field}`);
  }
  return fields;
}

interface Ort {
  InferenceSession: {
    create(path: string): Promise<{ run(feeds: object): Promise<Record<string, OrtTensor>> }>;
  };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => object;
}
interface OrtTensor {
  data: ArrayLike<number | bigint>;
  dims: readonly number[];
}

/** onnxruntime-node, when the project has it: a variable specifier so tsc does not require it. */
async function loadOrt(): Promise<Ort | undefined> {
  const name = 'onnxruntime-node';
  try {
    const mod = (await import(name)) as Ort & { default?: Ort };
    // A CommonJS package: its exports may only be on the default export.
    return mod.InferenceSession ? mod : mod.default;
  } catch {
    return undefined;
  }
}

function exampleTable(dir: string) {
  const [head = '', ...lines] = readFileSync(join(HERE, dir, 'example-data/train.csv'), 'utf8')
    .trim()
    .split('\n');
  return { header: head.split(','), rows: lines.map((l) => l.split(',')) };
}

describe('example recipes', () => {
  it('import the one mlwb_io.py the workbench gives every run, and keep no copy of it', () => {
    expect(readFileSync(HELPER, 'utf8')).toMatch(/^def run\(main\):/m);
    for (const { dir } of RECIPES) {
      expect(existsSync(join(HERE, dir, 'mlwb_io.py')), dir).toBe(false);
      expect(readFileSync(join(HERE, dir, 'train.py'), 'utf8')).toMatch(/^import mlwb_io$/m);
    }
  });

  describe.each(RECIPES)('$dir', ({ dir, keys, quality }) => {
    it('has a recipe.yaml with every field docs/architecture.md §5 asks for', () => {
      const recipe = readRecipe(dir);
      expect(recipe.name).toBe(dir);
      expect(recipe.image).toBe(IMAGE);
      expect(recipe.command.length).toBeGreaterThan(0);
      expect(recipe.command.every((c) => typeof c === 'string')).toBe(true);
      expect(existsSync(join(HERE, dir, recipe.command[1] ?? ''))).toBe(true);
      const typeOf = {
        int: Number.isInteger,
        float: Number.isFinite,
        string: (v: unknown) => typeof v === 'string',
      };
      for (const [name, param] of Object.entries(recipe.params)) {
        const check = typeOf[param.type as keyof typeof typeOf];
        expect(check, `param ${name} type ${param.type}`).toBeDefined();
        expect(check(param.default), `param ${name} default`).toBe(true);
      }
      expect(recipe.params.label?.type).toBe('string');
      expect(recipe.metrics.map((m) => m.key)).toEqual(keys);
      // val_* first and distinct values: a regex without a word boundary would catch its val_ twin.
      const line = `step=3 ${[...keys]
        .reverse()
        .map((k, i) => `${k}=${i}.5`)
        .join(' ')}`;
      for (const { key, regex } of recipe.metrics) {
        expect(new RegExp(regex).exec(line)?.[1], `regex of ${key}`).toBe(
          line.split(` ${key}=`)[1]?.split(' ')[0],
        );
      }
      expect(recipe.resources.cpus).toBeGreaterThan(0);
      expect(recipe.resources.memory).toMatch(/^\d+[kmg]$/);
      expect(recipe.resources.gpus).toBe(0);
    });

    it.skipIf(skipEngine)(
      engineTest('trains in the engine: metrics per step, a valid ONNX model'),
      async () => {
        const recipe = readRecipe(dir);
        const run = await runRecipe(dir, join(HERE, dir, 'example-data'), defaultsOf(recipe));
        expect(run.code, run.stderr).toBe(0);
        expect(existsSync(join(run.output, 'failure'))).toBe(false);

        const lines = readFileSync(join(run.output, 'metrics.jsonl'), 'utf8').trim().split('\n');
        const series = new Map<string, { step: number; value: number }[]>();
        for (const line of lines) {
          const m = JSON.parse(line) as { key: string; value: number; step: number; timestamp: number };
          expect(Number.isFinite(m.value) && Number.isInteger(m.step) && m.timestamp > 1.6e12, line).toBe(
            true,
          );
          series.set(m.key, [...(series.get(m.key) ?? []), m]);
        }
        expect([...series.keys()].sort()).toEqual([...keys].sort());
        for (const { key, regex } of recipe.metrics) {
          const points = series.get(key) ?? [];
          expect(points.length, key).toBeGreaterThan(2);
          expect(points.map((p) => p.step)).toEqual(points.map((_, i) => i + 1));
          // The stdout channel must carry the same series as metrics.jsonl.
          const fromLogs = [...run.stdout.matchAll(new RegExp(regex, 'g'))].map((m) => Number(m[1]));
          expect(fromLogs.length, `${key} in stdout`).toBe(points.length);
        }
        expect(series.get(quality)?.at(-1)?.value).toBeGreaterThan(0.9);
        expect(run.stdout).toMatch(/onnx check: max .* difference/);

        const modelPath = join(run.output, 'model/model.onnx');
        const fields = onnxTopLevel(readFileSync(modelPath));
        expect(fields.get(1), 'ir_version').toBe(8);
        expect(fields.get(7), 'graph').toBeInstanceOf(Buffer);
        const signature = JSON.parse(readFileSync(join(run.output, 'model/signature.json'), 'utf8'));
        expect(signature.inputs[0].name).toBe('input');

        const ort = await loadOrt();
        if (!ort) return; // the in-container "onnx check" has compared the graph with scikit-learn already
        const { header, rows } = exampleTable(dir);
        const columns: string[] = signature.inputs[0].columns;
        const x = Float32Array.from(rows.flatMap((r) => columns.map((c) => Number(r[header.indexOf(c)]))));
        const session = await ort.InferenceSession.create(modelPath);
        const out = await session.run({ input: new ort.Tensor('float32', x, [rows.length, columns.length]) });
        const truth = rows.map((r) => r[header.indexOf(signature.label)] ?? '');
        if (signature.task === 'classification') {
          const labels = Array.from(out.label?.data ?? [], (i) => signature.classes[Number(i)]);
          expect(labels.filter((l, i) => l === truth[i]).length / rows.length).toBeGreaterThan(0.9);
        } else {
          const pred = Array.from(out.prediction?.data ?? [], Number);
          const y = truth.map(Number);
          const mean = y.reduce((a, b) => a + b, 0) / y.length;
          const ssRes = y.reduce((a, v, i) => a + (v - (pred[i] ?? Number.NaN)) ** 2, 0);
          expect(1 - ssRes / y.reduce((a, v) => a + (v - mean) ** 2, 0)).toBeGreaterThan(0.9);
        }
      },
    );

    it.skipIf(skipEngine)(engineTest('fails with a reason when the label column is missing'), async () => {
      const params = { ...defaultsOf(readRecipe(dir)), label: 'no_such_column' };
      const run = await runRecipe(dir, join(HERE, dir, 'example-data'), params);
      expect(run.code).not.toBe(0);
      const failure = readFileSync(join(run.output, 'failure'), 'utf8');
      expect(failure).toMatch(/label column 'no_such_column' not found; columns are: .*target/);
      expect(existsSync(join(run.output, 'model/model.onnx'))).toBe(false);
    });

    it.skipIf(skipEngine)(engineTest('fails with a reason when the dataset has no table'), async () => {
      const empty = mkdtempSync(join(tmpdir(), 'mlwb-empty-'));
      workDirs.push(empty);
      writeFileSync(join(empty, 'notes.txt'), 'not a table');
      // mkdtemp makes it owner-only; the workbench makes a run's inputs readable to the run's user.
      chmodSync(empty, 0o755);
      const run = await runRecipe(dir, empty, defaultsOf(readRecipe(dir)));
      expect(run.code).not.toBe(0);
      expect(readFileSync(join(run.output, 'failure'), 'utf8')).toMatch(/no \.csv or \.tsv file .*\.txt/);
      expect(statSync(join(run.output, 'failure')).size).toBeLessThan(1000);
    });
  });
});
