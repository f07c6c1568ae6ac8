/**
 * The monitoring bench's request log read through a remote engine (deploy/remoteRequestLog.ts):
 * the hour's log (200,000 requests, 5 files) put into a volume on the engine, then taken into a
 * fresh store through it, as a check of a deployment there does — and then 1,000 more lines,
 * what each later check reads. Over dockerd's TLS listener and over ssh, where .ci/engines.sh
 * provides them (MLWB_TEST_TLS_HOST/…_CERTS, MLWB_TEST_SSH_HOST/…_KEY/…_KNOWN_HOSTS); beside the
 * in-process ingest of the same log from local files, measured in the same run.
 * Targets are the project's own: the hour < 10 s over TLS and < 30 s over ssh; 1,000 more lines
 * < 1 s over TLS and < 3 s over ssh.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { READ_BUDGET_BYTES, readRemoteLog } from '../../electron/core/deploy/remoteRequestLog.ts';
import { engineFromEnv } from '../../electron/core/docker/engine.ts';
import { RequestLogIngest } from '../../electron/core/monitoring/requestLogIngest.ts';
import { BASE_IMAGE } from '../../electron/core/serving/modelImage.ts';
import { openDatabase } from '../../electron/core/store/database.ts';
import { runOnVolume } from '../../electron/core/testing/volumeScripts.ts';
import type { Figure } from '../datasets/datasetBench.ts';

const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;

interface Engine {
  name: string;
  docker: Docker;
  targets: { all: number; more: number };
}

function engines(): Engine[] | string {
  const env = process.env;
  if (
    !env.MLWB_TEST_TLS_HOST ||
    !env.MLWB_TEST_TLS_CERTS ||
    !env.MLWB_TEST_SSH_HOST ||
    !env.MLWB_TEST_SSH_KEY
  )
    return 'no remote engines (MLWB_TEST_TLS_HOST/…_CERTS and MLWB_TEST_SSH_HOST/…_KEY unset; .ci/engines.sh sets them up)';
  // ssh checks the host key against ~/.ssh/known_hosts: a HOME of the bench's own holds the test's.
  const sshHome = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-bench-ssh-'));
  fs.mkdirSync(path.join(sshHome, '.ssh'), { mode: 0o700 });
  if (env.MLWB_TEST_SSH_KNOWN_HOSTS)
    fs.copyFileSync(env.MLWB_TEST_SSH_KNOWN_HOSTS, path.join(sshHome, '.ssh', 'known_hosts'));
  return [
    {
      name: 'TLS',
      docker: engineFromEnv({
        DOCKER_HOST: env.MLWB_TEST_TLS_HOST,
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: env.MLWB_TEST_TLS_CERTS,
      }).docker,
      targets: { all: 10_000, more: 1000 },
    },
    {
      name: 'ssh',
      docker: engineFromEnv(
        { DOCKER_HOST: env.MLWB_TEST_SSH_HOST, HOME: sshHome },
        { identityFile: env.MLWB_TEST_SSH_KEY },
      ).docker,
      targets: { all: 30_000, more: 3000 },
    },
  ];
}

/**
 * `dir` (a folder named g1) holds the hour's log (`expected` requests); `more` is 1,000 more lines;
 * `localMs` the in-process ingest of the same files, for the ratio.
 */
export async function remoteLogFigures(
  dir: string,
  expected: number,
  more: string,
  localMs: number,
): Promise<Figure[]> {
  const found = engines();
  if (typeof found === 'string')
    return [
      {
        name: 'the hour’s request log read through a remote engine',
        value: `not measured: ${found}`,
        target: '< 10 s over TLS, < 30 s over ssh',
        pass: false,
      },
    ];
  const figures: Figure[] = [];
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-bench-remote-'));
  try {
    // The log as a tar of g1/, put into each engine's volume through that engine.
    const tar = execFileSync('tar', ['-C', path.dirname(dir), '-c', path.basename(dir)], {
      maxBuffer: 512 * 1024 * 1024,
    });
    fs.writeFileSync(path.join(scratch, 'more.part'), more);
    const moreTar = execFileSync('tar', ['-C', scratch, '-c', 'more.part']);
    for (const e of found) {
      const volume = `mlwb-bench-requests-${randomBytes(4).toString('hex')}`;
      try {
        process.stderr.write(`putting the log into a volume over ${e.name}…\n`);
        await runOnVolume(e.docker, volume, 'chown -R 10001:10001 /v', { tar });
        const db = openDatabase(path.join(scratch, `${e.name}.db`));
        const ingest = new RequestLogIngest(db);
        const task = { docker: e.docker, image: BASE_IMAGE, volume, deployment: 'bench', engine: e.name };
        const read = (known: Record<string, number>, scale: number) =>
          readRemoteLog(task, known, READ_BUDGET_BYTES * scale);
        let t = process.hrtime.bigint();
        const all = await ingest.ingestRead('bench', read);
        const allMs = ms(t);
        if (all.added !== expected)
          throw new Error(`took ${all.added} of ${expected} requests over ${e.name}`);
        await runOnVolume(e.docker, volume, 'cat /v/more.part >> /v/g1/requests.jsonl && rm /v/more.part', {
          tar: moreTar,
        });
        t = process.hrtime.bigint();
        const next = await ingest.ingestRead('bench', read);
        const moreMs = ms(t);
        if (next.added !== 1000) throw new Error(`took ${next.added} of 1,000 more requests over ${e.name}`);
        db.close();
        figures.push(
          {
            name: `the hour's request log (${expected.toLocaleString('en')} requests) into the store through the engine over ${e.name}`,
            value: `${(allMs / 1000).toFixed(2)} s, ${(allMs / localMs).toFixed(1)}× the same log from local files (${(localMs / 1000).toFixed(2)} s)`,
            target: `< ${e.targets.all / 1000} s`,
            pass: allMs < e.targets.all,
          },
          {
            name: `1,000 more requests through the engine over ${e.name}`,
            value: `${moreMs.toFixed(0)} ms`,
            target: `< ${e.targets.more / 1000} s`,
            pass: moreMs < e.targets.more,
          },
        );
      } finally {
        await e.docker
          .getVolume(volume)
          .remove()
          .catch(() => {});
      }
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return figures;
}
