/**
 * Packages a model version as an image (DESIGN §6, "Model image"): the offline Node base, the
 * bundled model server, onnxruntime-node's Linux runtime copied from the installed package, the
 * model file and its registry record. Nothing is downloaded, so the build runs with no network.
 *
 * The image is named by a digest of everything it is made from, so packaging the same version
 * again (same base, server, runtime, model and record) finds the image and builds nothing.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type Docker from 'dockerode';
import type { ModelVersion } from '../../../shared/registry.ts';
import { cancelled, invalidInput, WorkbenchError } from '../errors.ts';
import type { ObjectStore } from '../objects/objectStore.ts';
import type { OpContext } from '../ops/operations.ts';
import { packageRoot } from '../packageRoot.ts';
import { engineError, requireImage } from '../training/containerRun.ts';

export const BASE_IMAGE = 'mlwb/node-runtime:bookworm';
/** The image's user: numeric, so the engine need not find it in /etc/passwd, and not root. */
export const SERVER_UID = 10001;
export const SERVER_PORT = 8080;
/** Where the server writes its request log (one JSON line a request). */
export const REQUEST_LOG_DIR = '/var/log/mlwb/requests';

const LABEL = 'dev.mlops-workbench.model';
/** Finds an image made from the same parts. */
export const LABEL_CONTENT_DIGEST = `${LABEL}.content-digest`;

export interface PackageResult {
  image: string;
  imageId: string;
  sizeBytes: number;
  reused: boolean;
}

export interface PackageDeps {
  docker: Docker;
  objects: ObjectStore;
  /** A folder for the build context, removed once the build is over. */
  tmpDir: string;
}

/** What the server reads as MLWB_MODEL_META (resources/serving/config.ts). */
export function modelMeta(v: ModelVersion) {
  return {
    name: v.name,
    version: v.version,
    inputs: v.inputs,
    outputs: v.outputs,
    features: v.features,
    classes: v.classes,
    task: v.task,
  };
}

/** Docker repository names are lower case, with separators only between letters and digits. */
export function imageRepository(modelName: string): string {
  const slug = modelName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `mlwb-model/${slug || 'model'}`;
}

const require = createRequire(import.meta.url);

/** onnxruntime-node and onnxruntime-common as installed, and the files of them the image needs. */
function onnxRuntimeFiles(arch: string): { version: string; files: { from: string; to: string }[] } {
  const ortDir = path.dirname(require.resolve('onnxruntime-node/package.json'));
  // onnxruntime-common exports no ./package.json: its folder is found above its entry point.
  let commonDir = path.dirname(
    createRequire(path.join(ortDir, 'package.json')).resolve('onnxruntime-common'),
  );
  while (path.basename(commonDir) !== 'onnxruntime-common') {
    if (path.dirname(commonDir) === commonDir)
      throw new Error('onnxruntime-common is not installed in a folder of its name.');
    commonDir = path.dirname(commonDir);
  }
  const { version } = JSON.parse(fs.readFileSync(path.join(ortDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  const files: { from: string; to: string }[] = [];
  const add = (root: string, rel: string, as: string, keep: (f: string) => boolean = () => true) => {
    const from = path.join(root, rel);
    const entries = fs.statSync(from).isDirectory()
      ? (fs.readdirSync(from, { recursive: true, withFileTypes: true }) as fs.Dirent[])
          .filter((e) => e.isFile())
          .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
      : [rel];
    for (const f of entries.filter(keep)) files.push({ from: path.join(root, f), to: path.join(as, f) });
  };
  // What `require('onnxruntime-node')` loads: dist/*.js, the N-API addon of this platform (its
  // libonnxruntime beside it), and onnxruntime-common's CommonJS build. Maps and typings are left out.
  const code = (f: string) => f.endsWith('.js') || f.endsWith('.json');
  add(ortDir, 'package.json', 'node_modules/onnxruntime-node');
  add(ortDir, 'dist', 'node_modules/onnxruntime-node', code);
  const napi = fs.readdirSync(path.join(ortDir, 'bin')).filter((d) => d.startsWith('napi-v'));
  const native = napi
    .map((d) => path.join('bin', d, 'linux', arch))
    .filter((d) => fs.existsSync(path.join(ortDir, d)));
  if (!native.length)
    throw invalidInput(
      `The installed onnxruntime-node ${version} has no runtime for linux/${arch}, the engine's platform. Package on an x64 or arm64 engine.`,
    );
  for (const d of native) add(ortDir, d, 'node_modules/onnxruntime-node');
  add(commonDir, 'package.json', 'node_modules/onnxruntime-common');
  add(commonDir, path.join('dist', 'cjs'), 'node_modules/onnxruntime-common', code);
  return { version, files };
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    fs.createReadStream(file)
      .on('error', reject)
      .on('data', (c) => h.update(c))
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** A model file that is gone or changed is refused before anything is built. */
async function checkModelFile(objects: ObjectStore, v: ModelVersion): Promise<string> {
  const file = objects.pathFor(v.sha256);
  const ref = `${v.name}@${v.version}`;
  if (!fs.existsSync(file))
    throw invalidInput(
      `${ref}'s model file is missing from the object store. Run \`mlwb store verify\` to see what else is missing.`,
    );
  const actual = await sha256File(file);
  if (actual !== v.sha256)
    throw invalidInput(
      `${ref}'s model file is damaged: its sha256 is ${actual.slice(0, 12)}…, not ${v.sha256.slice(0, 12)}… as registered. Register the model again from its run.`,
    );
  return file;
}

function dockerfile(): string {
  const ready = `fetch("http://127.0.0.1:"+(process.env.PORT||${SERVER_PORT})+"/v2/health/ready").then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`;
  return [
    `FROM ${BASE_IMAGE}`,
    'COPY app/ /app/',
    // The request log folder is a volume the server's user owns: writable with a read-only root
    // filesystem, and where a deployment mounts its own folder to read the log.
    `RUN mkdir -p ${REQUEST_LOG_DIR} && chown ${SERVER_UID}:${SERVER_UID} ${REQUEST_LOG_DIR}`,
    `VOLUME ${REQUEST_LOG_DIR}`,
    // HOME on the tmpfs: onnxruntime keeps a telemetry id there, and warns on every start when it
    // cannot write it (the root filesystem is read-only).
    `ENV MLWB_MODEL_PATH=/app/model/model.onnx MLWB_MODEL_META=/app/model/model.json PORT=${SERVER_PORT} HOST=0.0.0.0 MLWB_REQUEST_LOG_DIR=${REQUEST_LOG_DIR} HOME=/tmp`,
    'WORKDIR /app',
    `USER ${SERVER_UID}:${SERVER_UID}`,
    `EXPOSE ${SERVER_PORT}`,
    // node's own fetch: the base has no curl.
    `HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ${JSON.stringify(['node', '-e', ready])}`,
    // The server drains on SIGTERM; 10 s is what it promises.
    'STOPSIGNAL SIGTERM',
    'CMD ["node", "/app/server.mjs"]',
    '',
  ].join('\n');
}

function labels(v: ModelVersion, digest: string, baseId: string): Record<string, string> {
  const datasets = (v.lineage?.datasets ?? []).map((d) => `${d.dataset}@${d.version}=${d.digest}`);
  return {
    'org.opencontainers.image.title': `${v.name} model server`,
    'org.opencontainers.image.version': String(v.version),
    'org.opencontainers.image.created': new Date().toISOString(),
    'org.opencontainers.image.description': `MLOps Workbench: ${v.name} version ${v.version} served over the Open Inference Protocol v2 and MLflow /invocations`,
    'org.opencontainers.image.base.name': BASE_IMAGE,
    'org.opencontainers.image.base.digest': baseId,
    [`${LABEL}.name`]: v.name,
    [`${LABEL}.version`]: String(v.version),
    [`${LABEL}.sha256`]: v.sha256,
    [`${LABEL}.run-id`]: v.lineage?.runId ?? v.runId ?? '',
    [`${LABEL}.dataset-digests`]: datasets.join(','),
    [LABEL_CONTENT_DIGEST]: digest,
  };
}

interface BuildEvent {
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
}

async function runBuild(
  docker: Docker,
  contextDir: string,
  src: string[],
  opts: { tag: string; labels: Record<string, string> },
  ctx: OpContext,
): Promise<void> {
  const log: string[] = [];
  // The context is packed here rather than by dockerode, which packs with the process's umask: under
  // 027 the image's files would be unreadable by its non-root user. Every file is made readable
  // (and folders listable) whatever the modes on disk.
  const tarFs = createRequire(require.resolve('dockerode'))('tar-fs') as {
    pack(
      dir: string,
      o: { entries: string[]; umask: number; fmode: number; dmode: number },
    ): NodeJS.ReadableStream;
  };
  const context = tarFs.pack(contextDir, { entries: src, umask: 0, fmode: 0o444, dmode: 0o555 });
  const stream = await docker
    .buildImage(context, {
      t: opts.tag,
      labels: opts.labels,
      networkmode: 'none',
      rm: true,
      forcerm: true,
      abortSignal: ctx.signal,
    })
    .catch((err) => {
      throw engineError(err);
    });
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(
      stream,
      (err, res) => {
        const failed = (res as BuildEvent[] | undefined)?.find((r) => r.error);
        if (!err && !failed) return resolve();
        const tail = log.slice(-20).join('\n');
        reject(
          new WorkbenchError(
            'INVALID_INPUT',
            `Building the model image failed: ${err?.message ?? failed?.error}${tail ? `\nBuild log (last lines):\n${tail}` : ''}`,
          ),
        );
      },
      (event: BuildEvent) => {
        for (const line of (event.stream ?? '').split('\n')) {
          if (!line.trim()) continue;
          log.push(line);
          const step = /^Step (\d+)\/(\d+) : (.*)$/.exec(line);
          if (step)
            ctx.progress({
              phase: 'building',
              done: Number(step[1]) - 1,
              total: Number(step[2]),
              message: step[3],
            });
        }
        if (event.error) log.push(event.error);
      },
    ),
  );
}

async function findByDigest(docker: Docker, digest: string): Promise<Docker.ImageInfo | undefined> {
  const found = await docker
    .listImages({ filters: { label: [`${LABEL_CONTENT_DIGEST}=${digest}`] } })
    .catch((err) => {
      throw engineError(err);
    });
  return found[0];
}

/** Packages `v`; `tag` is a further name for the image (`repo:tag` or `repo`). */
export async function packageModel(
  d: PackageDeps,
  v: ModelVersion,
  opts: { tag?: string | undefined },
  ctx: OpContext,
): Promise<PackageResult> {
  const extraTag = opts.tag === undefined ? undefined : parseTag(opts.tag);
  ctx.progress({ phase: 'checking', done: 0, total: null, message: 'model file and engine' });
  const modelFile = await checkModelFile(d.objects, v);
  const baseId = await requireImage(d.docker, BASE_IMAGE);
  const engineArch = (
    await d.docker.version().catch((err) => {
      throw engineError(err);
    })
  ).Arch;
  const arch = engineArch === 'amd64' ? 'x64' : engineArch === 'aarch64' ? 'arm64' : engineArch;
  const ort = onnxRuntimeFiles(arch);

  ctx.progress({ phase: 'bundling', done: 0, total: null, message: 'model server' });
  fs.mkdirSync(d.tmpDir, { recursive: true });
  const contextDir = fs.mkdtempSync(path.join(d.tmpDir, 'model-image-'));
  try {
    const app = path.join(contextDir, 'app');
    fs.mkdirSync(path.join(app, 'model'), { recursive: true });
    // Found from the workbench's folder, so the CLI bundle and the Electron build load it too;
    // esbuild is loaded by packaging alone.
    const bundler = pathToFileURL(path.join(packageRoot(), 'resources', 'serving', 'bundle.mjs')).href;
    const { buildServerBundle } = (await import(
      bundler
    )) as typeof import('../../../resources/serving/bundle.mjs');
    await buildServerBundle(path.join(app, 'server.mjs'));
    const meta = modelMeta(v);
    const metaText = `${JSON.stringify(meta, null, 2)}\n`;
    const digest = createHash('sha256')
      .update(
        JSON.stringify({
          base: baseId,
          server: await sha256File(path.join(app, 'server.mjs')),
          dockerfile: dockerfile(),
          onnxruntime: ort.version,
          arch,
          model: v.sha256,
          meta,
        }),
      )
      .digest('hex');
    const image = `${imageRepository(v.name)}:v${v.version}-${digest.slice(0, 12)}`;

    const existing = await findByDigest(d.docker, digest);
    if (existing) {
      // Its own name may have been removed (`docker rmi` of one of several tags): given back.
      await tagAlso(d.docker, existing.Id, splitImage(image));
      await tagAlso(d.docker, existing.Id, extraTag);
      return { image, imageId: existing.Id, sizeBytes: existing.Size, reused: true };
    }

    fs.writeFileSync(path.join(app, 'model', 'model.json'), metaText);
    fs.copyFileSync(modelFile, path.join(app, 'model', 'model.onnx'));
    for (const f of ort.files) {
      fs.mkdirSync(path.dirname(path.join(app, f.to)), { recursive: true });
      fs.copyFileSync(f.from, path.join(app, f.to));
    }
    // The object store keeps files read-only; the image's files need only be readable.
    for (const f of ['model/model.onnx', 'model/model.json']) fs.chmodSync(path.join(app, f), 0o644);
    fs.writeFileSync(path.join(contextDir, 'Dockerfile'), dockerfile());
    const src = ['Dockerfile', ...listFiles(contextDir, 'app')];
    if (ctx.signal.aborted) throw cancelled('Packaging was cancelled.');
    await runBuild(d.docker, contextDir, src, { tag: image, labels: labels(v, digest, baseId) }, ctx);
    const info = await d.docker.getImage(image).inspect();
    await tagAlso(d.docker, info.Id, extraTag);
    return { image, imageId: info.Id, sizeBytes: info.Size, reused: false };
  } finally {
    fs.rmSync(contextDir, { recursive: true, force: true });
  }
}

function listFiles(root: string, rel: string): string[] {
  return (fs.readdirSync(path.join(root, rel), { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

function splitImage(image: string): { repo: string; tag: string } {
  const at = image.lastIndexOf(':');
  return { repo: image.slice(0, at), tag: image.slice(at + 1) };
}

/** The user's name for the image: `repo:tag`, or `repo` (then `:latest`). */
function parseTag(tag: string): { repo: string; tag: string } {
  const m = /^([a-z0-9][a-z0-9._/:-]*?)(?::([\w][\w.-]{0,127}))?$/.exec(tag);
  if (!m)
    throw invalidInput(`"${tag}" is not an image name: use lower-case repo[:tag], e.g. iris-server:prod.`);
  return { repo: m[1]!, tag: m[2] ?? 'latest' };
}

async function tagAlso(docker: Docker, imageId: string, tag: { repo: string; tag: string } | undefined) {
  if (!tag) return;
  await docker
    .getImage(imageId)
    .tag(tag)
    .catch((err) => {
      throw engineError(err);
    });
}
