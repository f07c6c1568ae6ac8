/**
 * What tests that train in the real Docker engine share: the offline base image, whether the
 * engine is there (skipped with the reason, or — with MLWB_REQUIRE_DOCKER=1, as .ci/run sets — a
 * failure), and small recipes written on the fly.
 */
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';

export const IMAGE = 'mlwb/python-sklearn:bookworm';

/** Why training tests cannot run here, or undefined when they can. Throws under MLWB_REQUIRE_DOCKER=1. */
export async function dockerSkipReason(): Promise<string | undefined> {
  let reason: string | undefined;
  try {
    const docker = new Docker();
    await docker.version();
    await docker.getImage(IMAGE).inspect();
  } catch (err) {
    reason = `no Docker engine with ${IMAGE} (${(err as Error).message.slice(0, 80)}); run npm run images:offline`;
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
