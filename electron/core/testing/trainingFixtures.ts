/**
 * What tests that train in the real Docker engine share: the offline base image, whether the
 * engine is there (skipped with the reason, or — with MLWB_REQUIRE_DOCKER=1, as .ci/run sets — a
 * failure), and small recipes written on the fly.
 */
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';

export const IMAGE = 'mlwb/python-sklearn:bookworm';

/**
 * Why tests on the real Docker engine cannot run here — no engine, or one without `images` (by
 * default the training image) — or undefined when they can. Throws under MLWB_REQUIRE_DOCKER=1.
 */
export async function dockerSkipReason(images: readonly string[] = [IMAGE]): Promise<string | undefined> {
  let reason: string | undefined;
  try {
    const docker = new Docker();
    await docker.version();
    for (const image of images) await docker.getImage(image).inspect();
  } catch (err) {
    reason = `no Docker engine with ${images.join(' and ')} (${(err as Error).message.slice(0, 80)}); run npm run images:offline`;
  }
  if (reason && process.env.MLWB_REQUIRE_DOCKER === '1')
    throw new Error(`MLWB_REQUIRE_DOCKER=1 but ${reason}`);
  return reason;
}

/**
 * Writes a recipe folder on the offline image: `command` as given, or `python3 train.py` when a
 * `script` (train.py's lines) is given. Returns the folder.
 */
export function writeRecipe(
  dir: string,
  recipe: {
    name: string;
    command?: string[];
    script?: string[];
    metrics?: { key: string; regex: string }[];
    params?: Record<string, { type: 'int' | 'float' | 'string' | 'bool'; default?: unknown }>;
  },
): string {
  if (recipe.script) fs.writeFileSync(path.join(dir, 'train.py'), `${recipe.script.join('\n')}\n`);
  // recipe.yaml in YAML's JSON-compatible flow style: no quoting surprises in commands and regexes.
  const yaml = {
    name: recipe.name,
    image: IMAGE,
    command: recipe.command ?? ['python3', 'train.py'],
    ...(recipe.metrics ? { metrics: recipe.metrics } : {}),
    ...(recipe.params ? { params: recipe.params } : {}),
  };
  fs.writeFileSync(
    path.join(dir, 'recipe.yaml'),
    Object.entries(yaml)
      .map(([k, v]) => `${k}: ${JSON.stringify(v)}\n`)
      .join(''),
  );
  return dir;
}

/**
 * Lines of a Python script that logs through the MLflow REST API as a script using mlflow would:
 * MLFLOW_TRACKING_URI, MLFLOW_TRACKING_TOKEN and MLFLOW_RUN_ID from the environment. `post(path,
 * body, token)` retries while the endpoint does not answer (up to `retrySeconds`).
 */
export function mlflowClientScript(retrySeconds = 0): string[] {
  return [
    'import json, os, time, urllib.request, urllib.error',
    'uri, token, run = os.environ["MLFLOW_TRACKING_URI"], os.environ["MLFLOW_TRACKING_TOKEN"], os.environ["MLFLOW_RUN_ID"]',
    'def post(path, body, tok):',
    `    deadline = time.time() + ${retrySeconds}`,
    '    while True:',
    '        req = urllib.request.Request(f"{uri}/api/2.0/mlflow/{path}", data=json.dumps(body).encode(), headers={"Authorization": f"Bearer {tok}", "Content-Type": "application/json"})',
    '        try:',
    '            return json.load(urllib.request.urlopen(req, timeout=5))',
    '        except urllib.error.HTTPError:',
    '            raise',
    '        except (urllib.error.URLError, OSError):',
    '            if time.time() > deadline: raise',
    '            time.sleep(0.2)',
  ];
}

/**
 * A recipe that tries everything a container should not be able to do to the workbench, in one
 * run, then exits 3 so that its failure file is read:
 * - in its outputs: symbolic links to the host file `secret` (a path the container cannot see,
 *   but the workbench would follow on the host) as an artifact, as the failure file and as the
 *   model folder, and to its folder as an artifacts folder; a hard link; named pipes, one of them
 *   metrics.jsonl; a device, when the engine lets it (`mknod made` or `mknod refused` in its
 *   log); a sparse 1 GiB artifact;
 * - through the MLflow API with its own token (`NAME STATUS ERROR_CODE` or `NAME accepted …` in
 *   its log per attempt): writes to, and reads of, the runs `other_run` (in the experiment
 *   `other_experiment`) and `sibling_run` (in its own experiment), experiments/create,
 *   runs/create, and a runs/search over both experiments (`search found [ids]`);
 * - then it keeps running for `linger` seconds, its named pipes in place.
 */
export function writeHostileRecipe(dir: string): string {
  return writeRecipe(dir, {
    name: 'hostile',
    params: {
      secret: { type: 'string', default: '' },
      other_run: { type: 'string', default: '' },
      other_experiment: { type: 'string', default: '' },
      sibling_run: { type: 'string', default: '' },
      linger: { type: 'int', default: 5 },
    },
    script: [
      ...mlflowClientScript(),
      'import stat, sys',
      'p = lambda name: os.environ["MLWB_PARAM_" + name]',
      'out = "/workbench/output"',
      'secret = p("secret")',
      'os.symlink(secret, out + "/artifacts/leak.txt")',
      'os.symlink(secret, out + "/failure")',
      'os.symlink(os.path.dirname(secret), out + "/artifacts/dirlink")',
      'os.rmdir(out + "/model")',
      'os.symlink(os.path.dirname(secret), out + "/model")',
      'open(out + "/artifacts/ok.txt", "w").write("fine\\n")',
      'open(out + "/artifacts/original.txt", "w").write("twice\\n")',
      'os.link(out + "/artifacts/original.txt", out + "/artifacts/hardlink.txt")',
      'os.mkfifo(out + "/metrics.jsonl")',
      'os.mkfifo(out + "/artifacts/pipe")',
      'try:',
      '    os.mknod(out + "/artifacts/null", stat.S_IFCHR | 0o666, os.makedev(1, 3))',
      '    print("mknod made", flush=True)',
      'except OSError as e:',
      '    print("mknod refused", e.errno, flush=True)',
      'with open(out + "/artifacts/huge.bin", "wb") as f:',
      '    f.truncate(1 << 30)',
      'print("outputs made", flush=True)',
      'def attempt(name, path, body):',
      '    try:',
      '        r = post(path, body, token)',
      '        print(name, "accepted", json.dumps(r, sort_keys=True)[:300], flush=True)',
      '    except urllib.error.HTTPError as e:',
      '        print(name, e.code, json.load(e).get("error_code"), flush=True)',
      'own_exp = os.environ["MLFLOW_EXPERIMENT_ID"]',
      'point = {"key": "pwned", "value": 1.0, "timestamp": 1, "step": 0}',
      'attempt("own-metric", "runs/log-metric", {"run_id": run, "key": "own", "value": 1.0, "timestamp": 1, "step": 0})',
      'attempt("own-get", "runs/get", {"run_id": run})',
      'attempt("own-experiment", "experiments/get", {"experiment_id": own_exp})',
      'attempt("other-metric", "runs/log-metric", dict(point, run_id=p("other_run")))',
      'attempt("sibling-batch", "runs/log-batch", {"run_id": p("sibling_run"), "metrics": [point]})',
      'attempt("other-rename", "runs/update", {"run_id": p("other_run"), "run_name": "pwned"})',
      'attempt("other-tag", "runs/set-tag", {"run_id": p("other_run"), "key": "pwned", "value": "yes"})',
      'attempt("other-get", "runs/get", {"run_id": p("other_run")})',
      'attempt("other-history", "metrics/get-history", {"run_id": p("other_run"), "metric_key": "m"})',
      'attempt("other-experiment", "experiments/get", {"experiment_id": p("other_experiment")})',
      'attempt("create-experiment", "experiments/create", {"name": "pwned"})',
      'attempt("create-run", "runs/create", {"experiment_id": own_exp})',
      'found = post("runs/search", {"experiment_ids": [own_exp, p("other_experiment")]}, token)',
      'print("search found", sorted(r["info"]["run_id"] for r in found.get("runs", [])), flush=True)',
      'time.sleep(int(p("linger")))',
      'sys.exit(3)',
    ],
  });
}

/**
 * A recipe whose outputs are huge (sparse files, so they cost no disk): a 1 GiB failure file
 * whose first line is the reason (with a terminal escape sequence in it), a metrics.jsonl with a
 * good line, a 1 GiB line and another good line, and 8 MiB of stdout without a newline. Exits 1.
 */
export function writeHugeOutputsRecipe(dir: string): string {
  return writeRecipe(dir, {
    name: 'huge',
    script: [
      'import json, sys',
      'out = "/workbench/output"',
      'with open(out + "/metrics.jsonl", "w") as f:',
      '    f.write(json.dumps({"key": "before", "value": 1.0, "step": 0}) + "\\n{")',
      '    f.truncate(1 << 30)',
      '    f.seek(0, 2)',
      '    f.write("\\n" + json.dumps({"key": "after", "value": 2.0, "step": 0}) + "\\n")',
      'with open(out + "/failure", "w") as f:',
      '    f.write("the real reason \\x1b[31min red\\x1b[0m\\n")',
      '    f.truncate(1 << 30)',
      'sys.stdout.write("x" * (8 << 20))',
      'print("", flush=True)',
      'print("done", flush=True)',
      'sys.exit(1)',
    ],
  });
}
