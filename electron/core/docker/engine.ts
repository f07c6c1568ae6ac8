/**
 * The container engine as the workbench sees it: where it is (the local socket, DOCKER_HOST with
 * unix://, tcp:// with TLS from DOCKER_TLS_VERIFY/DOCKER_CERT_PATH, or ssh://) and whether it
 * answers. A status check never hangs: it gives up after a short timeout and says how to start one.
 */
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import type { EngineStatus } from '../../../shared/contract.ts';

const STATUS_TIMEOUT_MS = 3000;

export interface EngineTarget {
  host: string;
  docker: Docker;
}

export function engineFromEnv(env: NodeJS.ProcessEnv = process.env): EngineTarget {
  const host = env.DOCKER_HOST?.trim() || 'unix:///var/run/docker.sock';
  if (host.startsWith('unix://')) {
    return {
      host,
      docker: new Docker({ socketPath: host.slice('unix://'.length) }),
    };
  }
  const url = new URL(host);
  if (url.protocol === 'ssh:') {
    return {
      host,
      docker: new Docker({
        protocol: 'ssh',
        host: url.hostname,
        port: url.port ? Number(url.port) : 22,
        username: url.username || undefined,
      }),
    };
  }
  const tls = env.DOCKER_TLS_VERIFY === '1' || url.port === '2376';
  const certDir = env.DOCKER_CERT_PATH;
  const read = (f: string) => (certDir ? fs.readFileSync(path.join(certDir, f)) : undefined);
  return {
    host,
    docker: new Docker({
      protocol: tls ? 'https' : 'http',
      host: url.hostname,
      port: url.port ? Number(url.port) : tls ? 2376 : 2375,
      ca: tls ? read('ca.pem') : undefined,
      cert: tls ? read('cert.pem') : undefined,
      key: tls ? read('key.pem') : undefined,
    }),
  };
}

export async function engineStatus(target: EngineTarget): Promise<EngineStatus> {
  try {
    const v = await Promise.race([
      target.docker.version(),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('no answer within 3 s')), STATUS_TIMEOUT_MS).unref(),
      ),
    ]);
    return {
      reachable: true,
      host: target.host,
      version: v.Version,
      apiVersion: v.ApiVersion,
      os: `${v.Os}/${v.Arch}`,
    };
  } catch (err) {
    const local = target.host.startsWith('unix://');
    const next = local
      ? 'Start one (on Linux: sudo dockerd, or sudo systemctl start docker) or set DOCKER_HOST.'
      : 'Check that the machine is up, that its Docker engine listens there, and (for TLS) the certificates.';
    return {
      reachable: false,
      host: target.host,
      error: `No Docker engine answers at ${target.host} (${(err as Error).message}). ${next}`,
    };
  }
}
