/**
 * Engines other than the local socket, against the real engine: dockerd's own TLS listener
 * (mutual TLS) and ssh through a real sshd running `docker system dial-stdio` — both on this
 * machine's loopback, provisioned by .ci/engines.sh, which exports where they are. Runs go to a
 * named engine and finish there. Without them these tests are skipped with the reason, unless
 * MLWB_REQUIRE_DOCKER=1 (set by .ci/run), where that is a failure.
 */
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
// ssh2 is CommonJS: Node's ESM loader sees only its default export.
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post } from '../../../resources/serving/testServer.ts';
import { type Api, createApi } from '../api.ts';
import { expectErrorCode } from '../testing/errorCodes.ts';
import { runWithOutputs } from '../testing/runFixtures.ts';
import { tempDirs } from '../testing/tempDirs.ts';
import { testWorkbench } from '../testing/testWorkbench.ts';
import { openWorkbench, type Workbench } from '../workbench.ts';
import { engineFromEnv, engineStatus } from './engine.ts';
import { isKnownHostKey } from './knownHosts.ts';

const IMAGE = 'mlwb/python-sklearn:bookworm';
const fixtures = path.resolve('electron/core/registry/fixtures');
const IRIS_ONNX = fs.readFileSync(path.join(fixtures, 'iris-logreg.onnx'));
const IRIS_SIGNATURE = fs.readFileSync(path.join(fixtures, 'iris-logreg.signature.json'));
const IRIS_FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
/** The engine behind both test listeners, on its local socket: for cleaning up only. */
const local = new Docker();
const env = process.env;
const tls = env.MLWB_TEST_TLS_HOST && env.MLWB_TEST_TLS_CERTS ? env : undefined;
const ssh =
  env.MLWB_TEST_SSH_HOST && env.MLWB_TEST_SSH_KEY && env.MLWB_TEST_SSH_KNOWN_HOSTS ? env : undefined;
const missing = [
  tls ? '' : 'MLWB_TEST_TLS_HOST/MLWB_TEST_TLS_CERTS',
  ssh ? '' : 'MLWB_TEST_SSH_HOST/MLWB_TEST_SSH_KEY/MLWB_TEST_SSH_KNOWN_HOSTS',
].filter(Boolean);
const skipReason = missing.length
  ? `no remote engines provisioned (${missing.join(', ')} unset; .ci/engines.sh sets them up)`
  : undefined;
if (skipReason && env.MLWB_REQUIRE_DOCKER === '1') throw new Error(`MLWB_REQUIRE_DOCKER=1 but ${skipReason}`);

const dirs = tempDirs();

describe('known_hosts', () => {
  const key = Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAIKx1', 'base64');
  const other = Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAIKx2', 'base64');
  const b64 = key.toString('base64');

  it('matches plain names, [host]:port, patterns and hashed entries; refuses revoked and unknown keys', () => {
    expect(isKnownHostKey(`gpu-box ssh-ed25519 ${b64}`, 'gpu-box', 22, key)).toBe(true);
    expect(isKnownHostKey(`gpu-box ssh-ed25519 ${b64}`, 'gpu-box', 22, other)).toBe(false);
    expect(isKnownHostKey(`gpu-box ssh-ed25519 ${b64}`, 'gpu-box', 2222, key)).toBe(false);
    expect(isKnownHostKey(`[gpu-box]:2222 ssh-ed25519 ${b64}`, 'gpu-box', 2222, key)).toBe(true);
    expect(isKnownHostKey(`a,*.lab,!bad.lab ssh-ed25519 ${b64}`, 'x.lab', 22, key)).toBe(true);
    expect(isKnownHostKey(`a,*.lab,!bad.lab ssh-ed25519 ${b64}`, 'bad.lab', 22, key)).toBe(false);
    // `ssh-keygen -H` output for "gpu-box": HMAC-SHA1 of the name under a salt.
    const salt = Buffer.from('0123456789abcdef0123');
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('gpu-box').digest('base64')}`;
    expect(isKnownHostKey(`${hashed} ssh-ed25519 ${b64}`, 'gpu-box', 22, key)).toBe(true);
    expect(isKnownHostKey(`${hashed} ssh-ed25519 ${b64}`, 'other', 22, key)).toBe(false);
    expect(
      isKnownHostKey(`gpu-box ssh-ed25519 ${b64}\n@revoked gpu-box ssh-ed25519 ${b64}`, 'gpu-box', 22, key),
    ).toBe(false);
    expect(isKnownHostKey('# nothing\n\n', 'gpu-box', 22, key)).toBe(false);
  });
});

describe('engine addresses that cannot be used say why, without throwing', () => {
  const app = testWorkbench();

  it('names the missing TLS files and the missing ssh credentials', async () => {
    const empty = dirs.make();
    const t = engineFromEnv({
      DOCKER_HOST: 'tcp://127.0.0.1:2376',
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: empty,
    });
    const s = await engineStatus(t);
    expect(s.reachable).toBe(false);
    expect(s.error).toContain(`ca.pem, cert.pem, key.pem missing in ${empty}`);
    // `~` reads as the home folder, as in a terminal.
    const tilde = engineFromEnv({
      DOCKER_HOST: 'tcp://127.0.0.1:2376',
      DOCKER_CERT_PATH: '~/certs',
      HOME: empty,
    });
    expect((await engineStatus(tilde)).error).toContain(`missing in ${path.join(empty, 'certs')}`);
    const noKeys = engineFromEnv({ DOCKER_HOST: 'ssh://me@127.0.0.1:1', HOME: empty });
    expect((await engineStatus(noKeys)).error).toMatch(
      /no ssh agent \(SSH_AUTH_SOCK\) and no key without a passphrase in/,
    );
    // A key behind a passphrase needs the agent; without one the message says how.
    const locked = path.join(empty, 'locked_ed25519');
    fs.writeFileSync(
      locked,
      ssh2.utils.generateKeyPairSync('ed25519', { passphrase: 'secret', cipher: 'aes256-ctr', rounds: 4 })
        .private,
    );
    const withLocked = engineFromEnv(
      { DOCKER_HOST: 'ssh://me@127.0.0.1:1', HOME: empty },
      { identityFile: locked },
    );
    expect((await engineStatus(withLocked)).error).toMatch(
      /protected by a passphrase\. Add it to ssh-agent \(ssh-add /,
    );
    // With an agent, the locked key is left to it (ssh2 would refuse to parse it).
    const viaAgent = engineFromEnv(
      { DOCKER_HOST: 'ssh://me@127.0.0.1:1', HOME: empty, SSH_AUTH_SOCK: path.join(empty, 'agent.sock') },
      { identityFile: locked },
    );
    expect(viaAgent.problem).toBeUndefined();
    const badKey = engineFromEnv(
      { DOCKER_HOST: 'ssh://me@127.0.0.1:1', HOME: empty },
      { identityFile: '/nope/key' },
    );
    expect((await engineStatus(badKey)).error).toMatch(/identity file \/nope\/key .* cannot be read/);
    expect((await engineStatus(engineFromEnv({ DOCKER_HOST: 'tcp://' }))).error).toMatch(/names no machine/);
    expect((await engineStatus(engineFromEnv({ DOCKER_HOST: 'tcp://[::1' }))).error).toMatch(
      /not an engine address/,
    );
  });

  it('talks to the engine it was given, whatever DOCKER_HOST the process has', () => {
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:1';
    try {
      const local = engineFromEnv({ DOCKER_HOST: 'unix:///var/run/other.sock' });
      const modem = (local.docker as unknown as { modem: { socketPath?: string; host?: string } }).modem;
      expect(modem).toMatchObject({ socketPath: '/var/run/other.sock', host: undefined });
      const broken = engineFromEnv({ DOCKER_HOST: 'tcp://' });
      expect((broken.docker as unknown as { modem: { host?: string } }).modem.host).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });

  it('validates engine settings by field', async () => {
    await expectErrorCode(
      app.api.call('engines.add', { name: 'a', host: 'tcp://127.0.0.1:1', identityFile: '/k' }),
      'INVALID_INPUT',
      /identityFile.*ssh/s,
    );
    await expectErrorCode(
      app.api.call('engines.add', { name: 'b', host: 'ssh://me@127.0.0.1:1', certPath: '/c' }),
      'INVALID_INPUT',
      /certPath.*tcp/s,
    );
  });
});

describe.skipIf(Boolean(skipReason))(`remote engines${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let wb: Workbench;
  let api: Api;
  let sshHome: string;

  beforeAll(async () => {
    // The workbench's HOME holds the known_hosts that trusts the test sshd, as ~/.ssh would.
    sshHome = dirs.make();
    fs.mkdirSync(path.join(sshHome, '.ssh'), { mode: 0o700 });
    fs.copyFileSync(env.MLWB_TEST_SSH_KNOWN_HOSTS!, path.join(sshHome, '.ssh', 'known_hosts'));
    wb = await openWorkbench(dirs.make(), { env: { HOME: sshHome, PATH: env.PATH } });
    api = createApi(wb);
  });
  afterAll(async () => {
    await wb?.close();
  });

  /** A run on the named engine finishes there, with its log line and its metric. */
  async function expectRunFinishesOn(engine: string, host: string) {
    const recipe = dirs.make();
    fs.writeFileSync(
      path.join(recipe, 'recipe.yaml'),
      `name: where\nimage: ${IMAGE}\ncommand: ["python3", "-c", "import json; print('hello from ${engine}', flush=True); json.dump({'key': 'n', 'value': 1, 'step': 0}, open('/workbench/output/metrics.jsonl', 'w'))"]\n`,
    );
    const {
      runs: [id],
    } = await api.call('runs.start', { recipe, engine });
    await wb.runs.waitFor(id!);
    const detail = wb.runs.detail(id!);
    expect(wb.tracking.run(id!).status, detail.failureReason ?? '').toBe('FINISHED');
    expect(detail.spec?.engineName).toBe(engine);
    expect(detail.engine).toBe(host);
    expect(wb.runs.logs(id!).map((l) => l.text)).toContain(`hello from ${engine}`);
    // Its containers cannot reach this machine's MLflow listener, and the log says so first.
    expect(wb.runs.logs(id!)[0]?.text).toMatch(
      /^mlwb: MLflow tracking is not available to this run: its engine .*metrics\.jsonl/,
    );
    expect(wb.tracking.metricHistory(id!, 'n').map((p) => p.value)).toEqual([1]);
  }

  it('runs on dockerd’s own TLS listener with client certificates, and refuses a certificate it does not trust', async () => {
    const added = await api.call('engines.add', {
      name: 'tls-box',
      host: env.MLWB_TEST_TLS_HOST!,
      tlsVerify: true,
      certPath: env.MLWB_TEST_TLS_CERTS!,
    });
    expect(added.status, added.status.error).toMatchObject({ reachable: true });
    expect(added.status.version).toMatch(/^\d+\./);

    await expectRunFinishesOn('tls-box', env.MLWB_TEST_TLS_HOST!);

    // A client certificate the engine's CA did not sign: the engine refuses the handshake.
    const rogue = dirs.make();
    fs.copyFileSync(path.join(env.MLWB_TEST_TLS_CERTS!, 'ca.pem'), path.join(rogue, 'ca.pem'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=rogue',
        '-keyout',
        path.join(rogue, 'key.pem'),
        '-out',
        path.join(rogue, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const refused = await engineStatus(
      engineFromEnv({ DOCKER_HOST: env.MLWB_TEST_TLS_HOST, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: rogue }),
    );
    expect(refused.reachable).toBe(false);
    expect(refused.error).toMatch(/certificate/);

    // And the other way: an engine whose certificate our CA did not sign is not trusted.
    const foreignCa = dirs.make();
    for (const f of ['cert.pem', 'key.pem'])
      fs.copyFileSync(path.join(env.MLWB_TEST_TLS_CERTS!, f), path.join(foreignCa, f));
    fs.copyFileSync(path.join(rogue, 'cert.pem'), path.join(foreignCa, 'ca.pem'));
    const untrusted = await engineStatus(
      engineFromEnv({
        DOCKER_HOST: env.MLWB_TEST_TLS_HOST,
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: foreignCa,
      }),
    );
    expect(untrusted.reachable).toBe(false);
    expect(untrusted.error).toMatch(/self[- ]signed|unable to verify|certificate/i);
  });

  it.each([
    ['TLS', 'far-tls'],
    ['ssh', 'far-ssh'],
  ] as const)(
    'deploys on the %s engine and monitors it there: its request log read through the engine',
    async (kind, name) => {
      const engine = `${name}-engine`;
      await api.call(
        'engines.add',
        kind === 'TLS'
          ? {
              name: engine,
              host: env.MLWB_TEST_TLS_HOST!,
              tlsVerify: true,
              certPath: env.MLWB_TEST_TLS_CERTS!,
            }
          : { name: engine, host: env.MLWB_TEST_SSH_HOST!, identityFile: env.MLWB_TEST_SSH_KEY! },
      );
      const run = runWithOutputs(wb, {
        'model/model.onnx': IRIS_ONNX,
        'model/signature.json': IRIS_SIGNATURE,
      });
      const { version } = await api.call('models.register', { runId: run, name });
      const deploy = () =>
        api.call('deployments.create', { model: name, version, name, engine, mode: 'container' });
      const { url } = await deploy();
      try {
        const ids = [`${name}-0`, `${name}-1`, `${name}-2`];
        for (const id of ids) {
          const r = await post(
            `${url}/invocations`,
            { dataframe_split: { columns: IRIS_FEATURES, data: [[5.1, 3.5, 1.4, 0.2]] } },
            'application/json',
            { 'X-Request-Id': id },
          );
          expect(r.status).toBe(200);
        }
        // The server writes its log in batches: read until all three are there.
        const logged = async () =>
          (await api.call('deployments.requests', { name, limit: 10 })).requests.map((r) => r.id);
        await expect.poll(logged, { timeout: 20_000, interval: 500 }).toEqual([...ids].reverse());
        // A check counts them, read through the engine too (nothing new: no line twice).
        await api.call('monitors.add', { deployment: name, rules: ['requests >= 3'] });
        const check = await api.call('monitors.run', { name: `${name}-monitor` });
        expect(check.metrics.requests).toBe(3);
        expect(check.status).toBe('ok');

        // Removed and deployed again under its name: the new deployment's log starts afresh (the
        // old one is set aside in the volume there).
        await api.call('monitors.remove', { name: `${name}-monitor` });
        await api.call('deployments.remove', { name });
        await deploy();
        expect(await logged()).toEqual([]);
      } finally {
        await api.call('deployments.remove', { name, force: true }).catch(() => {});
        // The log's volume outlives its deployment there, by design; not this test's.
        await local
          .getVolume(`mlwb-dep-${name}-requests`)
          .remove()
          .catch(() => {});
      }
    },
    240_000,
  );

  it('runs over ssh with an identity file and refuses a host whose key is not known', async () => {
    const added = await api.call('engines.add', {
      name: 'ssh-box',
      host: env.MLWB_TEST_SSH_HOST!,
      identityFile: env.MLWB_TEST_SSH_KEY!,
    });
    expect(added.status, added.status.error).toMatchObject({ reachable: true });
    expect((await api.call('engines.list', {})).find((e) => e.name === 'ssh-box')).toMatchObject({
      identityFile: env.MLWB_TEST_SSH_KEY,
    });

    await expectRunFinishesOn('ssh-box', env.MLWB_TEST_SSH_HOST!);

    // The same host with an empty known_hosts: refused, and the message says how to accept it.
    const stranger = dirs.make();
    const unknown = await engineStatus(
      engineFromEnv(
        { DOCKER_HOST: env.MLWB_TEST_SSH_HOST, HOME: stranger },
        { identityFile: env.MLWB_TEST_SSH_KEY },
      ),
    );
    expect(unknown.reachable).toBe(false);
    expect(unknown.error).toMatch(
      /host key of 127\.0\.0\.1:2222 is not in .*known_hosts.*ssh -p 2222 root@127\.0\.0\.1/,
    );
  });
});
