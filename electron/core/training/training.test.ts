/**
 * Training for real, in the Docker engine, on the offline base image: both example recipes,
 * cancel, an OOM kill, a failing recipe, and reconciliation after a restart.
 * Without a reachable engine these are skipped with the reason — unless MLWB_REQUIRE_DOCKER=1
 * (set by .ci/run), where a missing engine is a failure.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../testing/tempDirs.ts';
import { dockerSkipReason, IMAGE, mlflowClientScript, writeRecipe } from '../testing/trainingFixtures.ts';
import { openWorkbench, type Workbench } from '../workbench.ts';
import { snapshotEntries } from './codeSnapshot.ts';
import { runDirs } from './containerRun.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const recipes = path.join(repo, 'resources', 'recipes');

const skipReason = await dockerSkipReason();
/** An engine with a GPU runtime gives the container its GPU; one without refuses the request. */
const gpuRuntime =
  !skipReason &&
  Object.keys(((await new Docker().info()) as { Runtimes?: object }).Runtimes ?? {}).includes('nvidia');
const dirs = tempDirs();
let wb: Workbench;

beforeAll(async () => {
  if (skipReason) return;
  wb = await openWorkbench(dirs.make());
  await wb.datasets.add(
    { name: 'iris', paths: [path.join(recipes, 'sklearn-classifier', 'example-data')], message: '' },
    { signal: new AbortController().signal, progress: () => {} },
  );
  await wb.datasets.add(
    { name: 'linear', paths: [path.join(recipes, 'sklearn-regression', 'example-data')], message: '' },
    { signal: new AbortController().signal, progress: () => {} },
  );
});
afterAll(async () => {
  await wb?.close();
});

function csvRows(file: string): { header: string[]; rows: string[][] } {
  const [head, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
  return { header: head!.split(','), rows: lines.map((l) => l.split(',')) };
}

async function runToEnd(
  recipe: string,
  dataset: string,
  params: Record<string, string | number> = {},
  extra = {},
) {
  const [id] = await wb.runs.start({
    recipe: path.join(recipes, recipe),
    datasets: [{ channel: 'train', dataset }],
    params,
    ...extra,
  });
  await wb.runs.waitFor(id!);
  return id!;
}

describe.skipIf(Boolean(skipReason))(
  `training in Docker${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    it('trains the classifier: FINISHED, metric series, an ONNX model that predicts sensibly', async () => {
      const id = await runToEnd('sklearn-classifier', 'iris', { max_iter: 40 });
      const run = wb.tracking.run(id);
      expect(run.status, wb.runs.detail(id).failureReason ?? '').toBe('FINISHED');
      const history = wb.tracking.metricHistory(id, 'val_accuracy');
      expect(history.length).toBeGreaterThan(5);
      expect(history.map((p) => p.step)).toEqual([...history.map((p) => p.step)].sort((a, b) => a - b));
      expect(wb.tracking.metricHistory(id, 'loss').length).toBeGreaterThan(5);
      const detail = wb.runs.detail(id);
      expect(detail.exitCode).toBe(0);
      expect(detail.imageDigest).toMatch(/^sha256:/);
      expect(detail.inputs).toEqual([
        expect.objectContaining({ channel: 'train', dataset: 'iris', version: 1 }),
      ]);
      expect(detail.artifacts.map((a) => a.path)).toContain('model/model.onnx');

      const model = path.join(runDirs(wb.home, id).output, 'model', 'model.onnx');
      const savedTo = await wb.runs.saveArtifact(id, 'model/model.onnx', dirs.make());
      expect(fs.readFileSync(savedTo).equals(fs.readFileSync(model))).toBe(true);
      expect(() => wb.runs.openArtifact(id, '../../workbench.db')).toThrow(/no artifact/);
      const session = await ort.InferenceSession.create(model);
      const signature = JSON.parse(fs.readFileSync(path.join(path.dirname(model), 'signature.json'), 'utf8'));
      const { header, rows } = csvRows(path.join(recipes, 'sklearn-classifier', 'example-data', 'train.csv'));
      const label = header.indexOf('target');
      const features = header.map((_, i) => i).filter((i) => i !== label);
      const x = new Float32Array(rows.flatMap((r) => features.map((i) => Number(r[i]))));
      const out = await session.run({
        [session.inputNames[0]!]: new ort.Tensor('float32', x, [rows.length, features.length]),
      });
      const predicted = out.label!.data as BigInt64Array;
      let correct = 0;
      rows.forEach((r, k) => {
        if (String(signature.classes[Number(predicted[k])]) === r[label]) correct++;
      });
      expect(correct / rows.length).toBeGreaterThan(0.85);
    });

    it('trains the regression model and stores its metrics', async () => {
      const id = await runToEnd('sklearn-regression', 'linear');
      expect(wb.tracking.run(id).status, wb.runs.detail(id).failureReason ?? '').toBe('FINISHED');
      const r2 = wb.tracking.metricHistory(id, 'val_r2');
      expect(r2.length).toBeGreaterThan(2);
      expect(Number(r2.at(-1)!.value)).toBeGreaterThan(0.8);
      const session = await ort.InferenceSession.create(
        path.join(runDirs(wb.home, id).output, 'model', 'model.onnx'),
      );
      expect(session.outputNames).toContain('prediction');
    });

    it('reads metrics from the recipe’s regexes when it writes no metrics.jsonl', async () => {
      const dir = dirs.make();
      fs.writeFileSync(
        path.join(dir, 'recipe.yaml'),
        `name: printer\nimage: ${IMAGE}\ncommand: ["python3", "-c", "for i in range(4): print(f'epoch {i} loss={1.0/(i+1)}', flush=True)\\nprint('not json', flush=True)"]\nmetrics:\n  - {key: loss, regex: "loss=([-+0-9.eE]+)"}\n`,
      );
      const [id] = await wb.runs.start({ recipe: dir });
      await wb.runs.waitFor(id!);
      expect(wb.tracking.run(id!).status).toBe('FINISHED');
      expect(wb.runs.logs(id!, 2).map((l) => l.text)).toEqual(['epoch 3 loss=0.25', 'not json']);
      const all = wb.runs.readLog(id!, 0);
      expect(all.lines.map((l) => l.text)).toEqual(wb.runs.logs(id!).map((l) => l.text));
      expect(all.next).toBe(fs.statSync(runDirs(wb.home, id!).log).size);
      expect(wb.runs.readLog(id!, all.next).lines).toEqual([]);
      expect(wb.tracking.metricHistory(id!, 'loss').map((p) => [p.step, p.value])).toEqual([
        [0, 1],
        [1, 0.5],
        [2, 1 / 3],
        [3, 0.25],
      ]);
    });

    it('skips and counts bad metrics.jsonl lines without failing the run', async () => {
      const dir = dirs.make();
      const script = [
        'import json',
        'f = open("/workbench/output/metrics.jsonl", "w")',
        'f.write(json.dumps({"key": "ok", "value": 1.0, "step": 0}) + "\\n")',
        'f.write("not json\\n")',
        'f.write(\'{"key": "nan", "value": NaN, "step": 0}\\n\')',
        'f.write(json.dumps({"key": "k" * 300, "value": 1.0, "step": 0}) + "\\n")',
        'f.write(json.dumps({"key": "ok", "value": 2.0, "step": 1}) + "\\n")',
      ].join('\n');
      fs.writeFileSync(path.join(dir, 'train.py'), script);
      fs.writeFileSync(
        path.join(dir, 'recipe.yaml'),
        `name: noisy\nimage: ${IMAGE}\ncommand: ["python3", "train.py"]\n`,
      );
      const [id] = await wb.runs.start({ recipe: dir });
      await wb.runs.waitFor(id!);
      expect(wb.tracking.run(id!).status).toBe('FINISHED');
      expect(wb.tracking.run(id!).metrics).toEqual({ ok: 2 });
      expect(wb.runs.detail(id!).skippedMetrics).toBe(3);
    });

    it('fails with the recipe’s own reason when the label column is missing', async () => {
      const id = await runToEnd('sklearn-classifier', 'iris', { label: 'nope' });
      expect(wb.tracking.run(id).status).toBe('FAILED');
      expect(wb.runs.detail(id).failureReason).toMatch(/nope/);
    });

    it('ends OOM-killed runs FAILED with the reason', async () => {
      const dir = dirs.make();
      fs.writeFileSync(
        path.join(dir, 'recipe.yaml'),
        `name: hog\nimage: ${IMAGE}\ncommand: ["python3", "-c", "import time\\nx = bytearray(256 * 1024 * 1024)\\nfor i in range(0, len(x), 4096): x[i] = 1\\ntime.sleep(5)"]\nresources: {memory: 32m}\n`,
      );
      const [id] = await wb.runs.start({ recipe: dir });
      await wb.runs.waitFor(id!);
      expect(wb.tracking.run(id!).status).toBe('FAILED');
      expect(wb.runs.detail(id!).failureReason).toMatch(/Out of memory/);
    });

    it('asks the engine for GPUs as device requests: given where it has a GPU runtime, else a clear failure', async () => {
      const dir = dirs.make();
      fs.writeFileSync(
        path.join(dir, 'recipe.yaml'),
        `name: gpu\nimage: ${IMAGE}\ncommand: ["true"]\nresources: {gpus: 1}\n`,
      );
      const [id] = await wb.runs.start({ recipe: dir });
      await wb.runs.waitFor(id!);
      expect(wb.runs.detail(id!).spec?.resources.gpus).toBe(1);
      if (gpuRuntime) {
        expect(wb.tracking.run(id!).status, wb.runs.detail(id!).failureReason ?? '').toBe('FINISHED');
      } else {
        // No GPU here: the engine refuses the device request, which shows the request reached it.
        expect(wb.tracking.run(id!).status).toBe('FAILED');
        expect(wb.runs.detail(id!).failureReason).toMatch(
          /cannot give containers GPUs.*NVIDIA Container Toolkit/,
        );
      }
    });

    it('cancels a running run (SIGTERM, then kill) and ends it KILLED; cancelling again is a CONFLICT', async () => {
      const dir = dirs.make();
      fs.writeFileSync(
        path.join(dir, 'recipe.yaml'),
        `name: sleeper\nimage: ${IMAGE}\ncommand: ["sleep", "300"]\n`,
      );
      const [id] = await wb.runs.start({ recipe: dir });
      for (let i = 0; i < 100 && wb.tracking.run(id!).status !== 'RUNNING'; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(wb.tracking.run(id!).status).toBe('RUNNING');
      const t = Date.now();
      await wb.runs.cancel(id!);
      await wb.runs.waitFor(id!);
      expect(wb.tracking.run(id!).status).toBe('KILLED');
      expect(Date.now() - t).toBeLessThan(20_000);
      await expect(wb.runs.cancel(id!)).rejects.toMatchObject({ code: 'CONFLICT' });
    });

    it('runs training hardened: not root, no capabilities, a pids limit, a read-only root with /tmp writable, read-only inputs', async () => {
      const recipe = writeRecipe(dirs.make(), {
        name: 'hardened',
        script: [
          'import os, time',
          'print("user", os.getuid(), os.getgid(), flush=True)',
          'print("home", os.environ["HOME"], flush=True)',
          'print("caps", [l.split()[1] for l in open("/proc/self/status") if l.startswith("CapEff")][0], flush=True)',
          'for target in ["/tmp/scratch", os.path.expanduser("~/.cache-probe"), "/workbench/output/artifacts/made.txt", "/made-in-root", "/workbench/code/x", "/workbench/input/config/x", "/workbench/input/data/train/x"]:',
          '    try:',
          '        open(target, "w").write("x")',
          '        print("wrote", target, flush=True)',
          '    except OSError as e:',
          '        print("refused", target, e.errno, flush=True)',
          'while not os.path.exists("/workbench/output/go"): time.sleep(0.1)',
        ],
      });
      const [id] = await wb.runs.start({ recipe, datasets: [{ channel: 'train', dataset: 'iris' }] });
      for (let i = 0; i < 600 && wb.tracking.run(id!).status === 'QUEUED'; i++)
        await new Promise((r) => setTimeout(r, 100));
      // Inspected while it runs: a finished run's container is removed.
      const info = await new Docker().getContainer(wb.tracking.runRow(id!).container_id!).inspect();
      fs.writeFileSync(path.join(runDirs(wb.home, id!).output, 'go'), '');
      await wb.runs.waitFor(id!);
      const h = info.HostConfig;
      expect(info.Config.User).toMatch(/^[1-9]\d*:[1-9]\d*$/);
      expect(h.CapDrop).toEqual(['ALL']);
      expect(h.CapAdd ?? []).toEqual([]);
      expect(h.PidsLimit).toBeGreaterThan(0);
      expect(h.ReadonlyRootfs).toBe(true);
      expect(Object.keys(h.Tmpfs ?? {})).toEqual(['/tmp']);
      expect(h.SecurityOpt).toContain('no-new-privileges');
      expect(h.SecurityOpt?.some((o: string) => /seccomp|apparmor=unconfined|label=disable/.test(o))).toBe(
        false,
      );
      expect(h.Privileged).toBe(false);
      expect(h.Binds).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/:\/workbench\/code:ro$/),
          expect.stringMatching(/:\/workbench\/input\/data:ro$/),
          expect.stringMatching(/:\/workbench\/input\/config:ro$/),
        ]),
      );

      const log = wb.runs.logs(id!).map((l) => l.text);
      expect(wb.tracking.run(id!).status, log.join('\n')).toBe('FINISHED');
      const [uid, gid] = info.Config.User.split(':');
      expect(log).toContain(`user ${uid} ${gid}`);
      expect(log).toContain('home /tmp');
      expect(log).toContain('caps 0000000000000000');
      for (const writable of ['/tmp/scratch', '/tmp/.cache-probe', '/workbench/output/artifacts/made.txt'])
        expect(log).toContain(`wrote ${writable}`);
      const EROFS = 30;
      for (const readOnly of [
        '/made-in-root',
        '/workbench/code/x',
        '/workbench/input/config/x',
        '/workbench/input/data/train/x',
      ])
        expect(log).toContain(`refused ${readOnly} ${EROFS}`);
      expect(wb.runs.detail(id!).artifacts.map((a) => a.path)).toContain('artifacts/made.txt');
    });

    it('lets a container log through the MLflow REST API with its run token (and nothing else)', async () => {
      const { startTrackingListener } = await import('../../server/trackingListener.ts');
      const listener = await startTrackingListener(wb);
      expect(listener?.uri).toMatch(/^http:\/\/\d+\.\d+\.\d+\.\d+:\d+$/);
      try {
        const dir = dirs.make();
        fs.writeFileSync(
          path.join(dir, 'recipe.yaml'),
          `name: rest\nimage: ${IMAGE}\ncommand: ["python3", "log.py"]\n`,
        );
        fs.writeFileSync(
          path.join(dir, 'log.py'),
          [
            ...mlflowClientScript(),
            'post("runs/log-batch", {"run_id": run, "metrics": [{"key": "k", "value": s * 2.0, "timestamp": 1, "step": s} for s in range(3)], "params": [{"key": "p", "value": "v"}]}, token)',
            'try:',
            '    post("runs/set-tag", {"run_id": run, "key": "x", "value": "y"}, "wrong-token")',
            '    print("UNEXPECTED: accepted a wrong token")',
            'except urllib.error.HTTPError as e:',
            '    print("refused", e.code)',
          ].join('\n'),
        );
        const [id] = await wb.runs.start({ recipe: dir });
        await wb.runs.waitFor(id!);
        const run = wb.tracking.run(id!);
        expect(run.status, wb.runs.detail(id!).failureReason ?? '').toBe('FINISHED');
        expect(run.metrics).toEqual({ k: 4 });
        expect(run.params).toEqual({ p: 'v' });
        expect(wb.runs.logs(id!).map((l) => l.text)).toContain('refused 401');
      } finally {
        await listener?.close();
      }
    });

    it('builds a `build:` recipe from its snapshot, streams the build to the log, and reuses the image', async () => {
      const dir = dirs.make();
      fs.writeFileSync(
        path.join(dir, 'Dockerfile'),
        `FROM ${IMAGE}\nRUN echo built-layer-marker > /built.txt\n`,
      );
      fs.writeFileSync(
        path.join(dir, 'recipe.yaml'),
        'name: built\nbuild: Dockerfile\ncommand: ["python3", "-c", "print(open(\'/built.txt\').read().strip())"]\n',
      );
      const [first] = await wb.runs.start({ recipe: dir });
      await wb.runs.waitFor(first!);
      expect(wb.tracking.run(first!).status, wb.runs.detail(first!).failureReason ?? '').toBe('FINISHED');
      const log = wb.runs.logs(first!).map((l) => l.text);
      expect(log.some((l) => /^Building mlwb-recipe\/built:/.test(l))).toBe(true);
      expect(log.at(-1)).toBe('built-layer-marker');
      const [second] = await wb.runs.start({ recipe: dir });
      await wb.runs.waitFor(second!);
      expect(wb.runs.detail(second!).imageDigest).toBe(wb.runs.detail(first!).imageDigest);
      expect(wb.runs.logs(second!).some((l) => l.text.startsWith('Building '))).toBe(false);
      await new Docker().getImage(wb.runs.detail(first!).spec!.image).remove({ force: true });
    });

    it('gives a recipe without mlwb_io.py the workbench’s one in its snapshot (a `build:` one to COPY); its own stays', async () => {
      const helper = fs.readFileSync(path.join(repo, 'resources', 'runtime', 'mlwb_io.py'));
      const helperSha = createHash('sha256').update(helper).digest('hex');
      const dir = writeRecipe(dirs.make(), {
        name: 'uses-helper',
        params: { n: { type: 'int', default: 2 } },
        script: [
          'import mlwb_io',
          'def main():',
          '    params = mlwb_io.load_params({"n": 2})',
          '    metrics = mlwb_io.Metrics()',
          '    for step in range(1, params["n"] + 1):',
          '        metrics.log(step, score=step / 10)',
          'mlwb_io.run(main)',
        ],
      });
      const [id] = await wb.runs.start({ recipe: dir, params: { n: 4 } });
      await wb.runs.waitFor(id!);
      expect(wb.tracking.run(id!).status, wb.runs.detail(id!).failureReason ?? '').toBe('FINISHED');
      expect(wb.tracking.metricHistory(id!, 'score').map((p) => p.step)).toEqual([1, 2, 3, 4]);
      const entries = snapshotEntries(wb.db, wb.runs.detail(id!).spec!.recipe.digest)!;
      expect(entries.map((e) => e.path)).toEqual(['mlwb_io.py', 'recipe.yaml', 'train.py']);
      expect(entries[0]!.sha256).toBe(helperSha);
      expect(fs.readFileSync(path.join(runDirs(wb.home, id!).code, 'mlwb_io.py')).equals(helper)).toBe(true);
      expect(fs.existsSync(path.join(dir, 'mlwb_io.py'))).toBe(false);

      const own = writeRecipe(dirs.make(), {
        name: 'own-helper',
        script: ['import mlwb_io', 'print(mlwb_io.MARK)'],
      });
      fs.writeFileSync(path.join(own, 'mlwb_io.py'), 'MARK = "the recipe\'s own"\n');
      const [ownRun] = await wb.runs.start({ recipe: own });
      await wb.runs.waitFor(ownRun!);
      expect(wb.tracking.run(ownRun!).status, wb.runs.detail(ownRun!).failureReason ?? '').toBe('FINISHED');
      expect(wb.runs.logs(ownRun!).at(-1)?.text).toBe("the recipe's own");

      const built = dirs.make();
      fs.writeFileSync(
        path.join(built, 'Dockerfile'),
        `FROM ${IMAGE}\nCOPY mlwb_io.py /opt/mlwb/mlwb_io.py\n`,
      );
      fs.writeFileSync(
        path.join(built, 'recipe.yaml'),
        'name: built-helper\nbuild: Dockerfile\ncommand: ["sha256sum", "/opt/mlwb/mlwb_io.py"]\n',
      );
      const [buildRun] = await wb.runs.start({ recipe: built });
      await wb.runs.waitFor(buildRun!);
      expect(wb.tracking.run(buildRun!).status, wb.runs.detail(buildRun!).failureReason ?? '').toBe(
        'FINISHED',
      );
      expect(wb.runs.logs(buildRun!).at(-1)?.text).toBe(`${helperSha}  /opt/mlwb/mlwb_io.py`);
      await new Docker().getImage(wb.runs.detail(buildRun!).spec!.image).remove({ force: true });
    });

    it('runs on a named engine from Settings and records which', async () => {
      wb.engines.add({ name: 'local-alias', host: 'unix:///var/run/docker.sock', tlsVerify: false });
      const [id] = await wb.runs.start({
        recipe: path.join(recipes, 'sklearn-regression'),
        datasets: [{ channel: 'train', dataset: 'linear' }],
        engine: 'local-alias',
      });
      await wb.runs.waitFor(id!);
      expect(wb.tracking.run(id!).status).toBe('FINISHED');
      expect(wb.runs.detail(id!).spec).toMatchObject({
        engineName: 'local-alias',
        engine: 'unix:///var/run/docker.sock',
      });
    });

    it('names npm run images:offline when an image is missing; queued runs survive a restart', async () => {
      const missing = dirs.make();
      fs.writeFileSync(
        path.join(missing, 'recipe.yaml'),
        'name: m\nimage: mlwb/not-built:1\ncommand: ["true"]\n',
      );
      const [m] = await wb.runs.start({ recipe: missing });
      await wb.runs.waitFor(m!);
      expect(wb.tracking.run(m!).status).toBe('FAILED');
      expect(wb.runs.detail(m!).failureReason).toMatch(/npm run images:offline/);

      const home = dirs.make();
      const dir = dirs.make();
      fs.writeFileSync(path.join(dir, 'recipe.yaml'), `name: q\nimage: ${IMAGE}\ncommand: ["sleep", "2"]\n`);
      const first = await openWorkbench(home);
      // One at a time: the second waits in the queue when the app goes away.
      const [a] = await first.runs.start({ recipe: dir, parallel: 1 });
      const [b] = await first.runs.start({ recipe: dir, parallel: 1 });
      await first.close();
      const second = await openWorkbench(home);
      expect(second.tracking.runRow(b!).status).toBe('QUEUED');
      second.db.prepare('UPDATE runs SET follower_pid = NULL').run();
      await second.runs.resume();
      await second.runs.waitFor(a!);
      await second.runs.waitFor(b!);
      expect([second.tracking.run(a!).status, second.tracking.run(b!).status]).toEqual([
        'FINISHED',
        'FINISHED',
      ]);
      await second.close();
    });

    it('reconciles after a restart: finished while away → finalized; container gone → LOST', async () => {
      const home = dirs.make();
      const dir = dirs.make();
      fs.writeFileSync(
        path.join(dir, 'recipe.yaml'),
        `name: quick\nimage: ${IMAGE}\ncommand: ["python3", "-c", "import json,time\\nprint('hello', flush=True)\\ntime.sleep(2)\\nopen('/workbench/output/metrics.jsonl','w').write(json.dumps({'key':'m','value':1.5,'step':0})+'\\\\n')"]\n`,
      );
      let first = await openWorkbench(home);
      const [finished] = await first.runs.start({ recipe: dir });
      const [gone] = await first.runs.start({ recipe: dir });
      for (let i = 0; i < 100 && first.tracking.runRow(gone!).status !== 'RUNNING'; i++)
        await new Promise((r) => setTimeout(r, 100));
      const goneContainer = first.tracking.runRow(gone!).container_id!;
      // Simulate the app going away mid-run: stop following without finalizing.
      await first.close();
      first = undefined as never;
      await new Docker().getContainer(goneContainer).remove({ force: true });
      await new Promise((r) => setTimeout(r, 3000));

      const second = await openWorkbench(home);
      second.db.prepare('UPDATE runs SET follower_pid = NULL').run();
      await second.runs.resume();
      expect(
        second.tracking.runRow(finished!).status === 'RUNNING' ||
          second.tracking.runRow(finished!).status === 'FINISHED',
      ).toBe(true);
      await second.runs.waitFor(finished!);
      expect(second.tracking.run(finished!).status).toBe('FINISHED');
      expect(second.tracking.run(finished!).metrics).toEqual({ m: 1.5 });
      expect(second.tracking.run(gone!).status).toBe('LOST');
      expect(second.runs.detail(gone!).failureReason).toMatch(/gone/);
      await second.close();
    });

    it('lets a running run go on when the workbench closes; the next one follows it to the end, every line once', async () => {
      const home = dirs.make();
      const recipe = writeRecipe(dirs.make(), {
        name: 'ticks',
        script: [
          'import time',
          'print("a", flush=True)',
          'time.sleep(3)',
          'print("b", flush=True)',
          'time.sleep(1)',
          'print("c", flush=True)',
        ],
      });
      const first = await openWorkbench(home);
      const [id] = await first.runs.start({ recipe });
      const log = runDirs(home, id!).log;
      for (let i = 0; i < 200 && !(fs.existsSync(log) && /O a/.test(fs.readFileSync(log, 'utf8'))); i++)
        await new Promise((r) => setTimeout(r, 50));
      const container = first.tracking.runRow(id!).container_id!;
      await first.close();
      // Closed without waiting for the container, which goes on; "b" is printed while nobody follows.
      expect((await new Docker().getContainer(container).inspect()).State.Running).toBe(true);
      await new Promise((r) => setTimeout(r, 3500));

      const second = await openWorkbench(home);
      await second.runs.resume();
      await second.runs.waitFor(id!);
      expect(second.tracking.run(id!).status).toBe('FINISHED');
      expect(second.runs.logs(id!).map((l) => l.text)).toEqual([
        expect.stringMatching(/^mlwb: MLflow tracking is not available/),
        'a',
        'b',
        'c',
      ]);
      await second.close();
    });

    it('says at the start of a run’s log that MLflow tracking is not available, why, and what to use instead', async () => {
      // This workbench serves no tracking listener.
      const [here] = await wb.runs.start({
        recipe: writeRecipe(dirs.make(), { name: 'n', command: ['true'] }),
      });
      await wb.runs.waitFor(here!);
      expect(wb.runs.logs(here!).map((l) => l.text)).toEqual([
        expect.stringMatching(
          /^mlwb: MLflow tracking is not available to this run: this workbench process serves no MLflow endpoint .*metrics\.jsonl.*metrics: regexes/,
        ),
      ]);

      // An engine reached over tcp:// (here a plain TCP relay to this machine's own socket) is
      // treated as another machine's: its containers cannot reach the bridge listener.
      const { startTrackingListener } = await import('../../server/trackingListener.ts');
      const listener = await startTrackingListener(wb);
      const relay = net.createServer((client) => {
        const engine = net.connect('/var/run/docker.sock');
        client.pipe(engine).pipe(client);
        client.on('error', () => engine.destroy());
        engine.on('error', () => client.destroy());
      });
      await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
      try {
        const host = `tcp://127.0.0.1:${(relay.address() as net.AddressInfo).port}`;
        wb.engines.add({ name: 'over-tcp', host, tlsVerify: false });
        const recipe = writeRecipe(dirs.make(), { name: 'far', command: ['echo', 'hello'] });
        const [far] = await wb.runs.start({ recipe, engine: 'over-tcp' });
        await wb.runs.waitFor(far!);
        expect(wb.tracking.run(far!).status, wb.runs.detail(far!).failureReason ?? '').toBe('FINISHED');
        const lines = wb.runs.logs(far!).map((l) => l.text);
        expect(lines[0]).toContain(
          `mlwb: MLflow tracking is not available to this run: its engine (${host}) is not this machine's local Docker socket`,
        );
        expect(lines[0]).toMatch(/metrics\.jsonl/);
        expect(lines.slice(1)).toEqual(['hello']);
        // The same workbench's runs on the local engine do get the endpoint: no note there.
        const [near] = await wb.runs.start({ recipe });
        await wb.runs.waitFor(near!);
        expect(wb.runs.logs(near!).map((l) => l.text)).toEqual(['hello']);
      } finally {
        await listener?.close();
        relay.close();
      }
    });
  },
);
