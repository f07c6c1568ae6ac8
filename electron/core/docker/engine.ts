/**
 * The container engine as the workbench sees it: where it is and whether it answers. Hosts are
 * read as the docker CLI reads DOCKER_HOST:
 *
 * - `unix:///path` (the default: the local socket);
 * - `tcp://host:port`, with TLS when DOCKER_TLS_VERIFY is set (or the port is 2376): the CA, client
 *   certificate and key are ca.pem, cert.pem and key.pem in DOCKER_CERT_PATH (default ~/.docker),
 *   and the server's certificate is verified against that CA and the host name;
 * - `ssh://user@host[:port]`: signs in with the ssh agent (SSH_AUTH_SOCK) or a private key (the
 *   engine's identity file, else ~/.ssh/id_ed25519, id_ecdsa, id_rsa), checks the host's key
 *   against ~/.ssh/known_hosts as ssh does, and runs `docker system dial-stdio` there.
 *
 * A status check never hangs: it gives up after a short timeout and says what to do next. A target
 * that cannot even be set up (a certificate that cannot be read, no ssh key) carries the reason
 * instead of throwing, so one bad engine never stops the workbench from opening.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import type ssh2Types from 'ssh2';
import type { EngineStatus } from '../../../shared/contract.ts';
import { knownHostsVerifier } from './knownHosts.ts';

// dockerode and ssh2 (CommonJS, ~0.3 s to load) are required when a command first talks to an
// engine, not when the workbench opens: `mlwb dataset list` never pays for them.
const require = createRequire(import.meta.url);
const loadSsh2 = () => require('ssh2') as typeof ssh2Types;

/** A target whose `docker` client is made on first use. */
function withDocker(target: Omit<EngineTarget, 'docker'>, options: Docker.DockerOptions): EngineTarget {
  let client: Docker | undefined;
  return Object.defineProperty(target, 'docker', {
    enumerable: true,
    get() {
      client ??= dockerClient(options);
      return client;
    },
  }) as EngineTarget;
}

const STATUS_TIMEOUT_MS = 3000;
/** An ssh engine signs in and starts `docker system dial-stdio` first, so it gets longer. */
const SSH_STATUS_TIMEOUT_MS = 10_000;

export interface EngineTarget {
  host: string;
  docker: Docker;
  /** Why this engine cannot be used as configured (a missing certificate, no ssh key). */
  problem?: string;
  /** What to tell the user when it does not answer (asked after the attempt: it may have learnt why). */
  hint(): string;
}

export interface EngineOptions {
  /** ssh: the private key to sign in with. */
  identityFile?: string;
  /** ssh: where the known host keys are (default ~/.ssh/known_hosts). */
  knownHostsFile?: string;
}

export function engineFromEnv(env: NodeJS.ProcessEnv = process.env, opts: EngineOptions = {}): EngineTarget {
  const host = env.DOCKER_HOST?.trim() || 'unix:///var/run/docker.sock';
  if (host.startsWith('unix://')) {
    return withDocker(
      {
        host,
        hint: () => 'Start one (on Linux: sudo dockerd, or sudo systemctl start docker) or set DOCKER_HOST.',
      },
      { socketPath: host.slice('unix://'.length) },
    );
  }
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    return unusable(
      host,
      `"${host}" is not an engine address: use unix:///path, tcp://host:port or ssh://user@host.`,
    );
  }
  if (!url.hostname)
    return unusable(host, `"${host}" names no machine: use tcp://host:port or ssh://user@host.`);
  if (url.protocol === 'ssh:') return sshTarget(host, url, env, opts);
  return tcpTarget(host, url, env);
}

/** The machine's name or address as a socket wants it: `[::1]` in a URL is `::1`. */
function bareHostname(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

function tcpTarget(host: string, url: URL, env: NodeJS.ProcessEnv): EngineTarget {
  const hostname = bareHostname(url);
  const tls = Boolean(env.DOCKER_TLS_VERIFY) || url.port === '2376' || url.protocol === 'https:';
  const port = url.port ? Number(url.port) : tls ? 2376 : 2375;
  if (!tls) {
    return withDocker(
      { host, hint: () => 'Check that the machine is up and that its Docker engine listens there.' },
      { protocol: 'http', host: hostname, port },
    );
  }
  const home = env.HOME || os.homedir();
  const certDir = env.DOCKER_CERT_PATH ? expandHome(env.DOCKER_CERT_PATH, home) : path.join(home, '.docker');
  const files: Partial<Record<'ca' | 'cert' | 'key', Buffer>> = {};
  const missing: string[] = [];
  for (const [k, name] of [
    ['ca', 'ca.pem'],
    ['cert', 'cert.pem'],
    ['key', 'key.pem'],
  ] as const) {
    try {
      files[k] = fs.readFileSync(path.join(certDir, name));
    } catch {
      missing.push(name);
    }
  }
  const hint = `Check that the machine is up, that its engine listens there with TLS, and that ${certDir} holds the CA and the client certificate it trusts.`;
  if (missing.length) {
    return unusable(
      host,
      `The TLS files for ${host} cannot be read: ${missing.join(', ')} missing in ${certDir}. Put the CA (ca.pem) and the client certificate and key (cert.pem, key.pem) there, or point DOCKER_CERT_PATH (the engine's certificate folder in Settings) at them.`,
    );
  }
  return withDocker({ host, hint: () => hint }, { protocol: 'https', host: hostname, port, ...files });
}

function sshTarget(host: string, url: URL, env: NodeJS.ProcessEnv, opts: EngineOptions): EngineTarget {
  const home = env.HOME || os.homedir();
  const hostname = bareHostname(url);
  const port = url.port ? Number(url.port) : 22;
  const username = decodeURIComponent(url.username) || env.USER || os.userInfo().username;
  const agent = env.SSH_AUTH_SOCK || undefined;
  let privateKey: Buffer | undefined;
  if (opts.identityFile) {
    const file = expandHome(opts.identityFile, home);
    const key = readKey(file);
    if (key === 'unreadable')
      return unusable(
        host,
        `The identity file ${file} for ${host} cannot be read. Check the path and its permissions.`,
      );
    if (key === 'encrypted' && !agent)
      return unusable(
        host,
        `The identity file ${file} is protected by a passphrase. Add it to ssh-agent (ssh-add ${file}) and start the workbench where SSH_AUTH_SOCK is set.`,
      );
    if (key instanceof Buffer) privateKey = key;
  } else if (!agent) {
    // As ssh does without an agent: the first default key that can be used.
    for (const f of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
      const key = readKey(path.join(home, '.ssh', f));
      if (key instanceof Buffer) {
        privateKey = key;
        break;
      }
    }
  }
  if (!agent && !privateKey) {
    return unusable(
      host,
      `No way to sign in to ${host}: no ssh agent (SSH_AUTH_SOCK) and no key without a passphrase in ${path.join(home, '.ssh')} (id_ed25519, id_ecdsa, id_rsa). Start ssh-agent with your key, or give the engine an identity file.`,
    );
  }
  const knownHosts = opts.knownHostsFile ?? path.join(home, '.ssh', 'known_hosts');
  const verifier = knownHostsVerifier(knownHosts, hostname, port);
  const sshHost = port === 22 ? `${username}@${hostname}` : `-p ${port} ${username}@${hostname}`;
  return withDocker(
    {
      host,
      hint: () =>
        verifier.rejected()
          ? `The host key of ${hostname}:${port} is not in ${knownHosts} (or does not match it). Connect once with \`ssh ${sshHost}\` to check and accept it, then try again.`
          : `Check that you can sign in with \`ssh ${sshHost}\` and that \`docker\` works there.`,
    },
    {
      protocol: 'ssh',
      host: hostname,
      port,
      username,
      sshOptions: {
        ...(agent ? { agent } : {}),
        ...(privateKey ? { privateKey } : {}),
        hostVerifier: verifier.verify,
        readyTimeout: SSH_STATUS_TIMEOUT_MS,
      },
    } as Docker.DockerOptions,
  );
}

/** A private key ssh2 can use as is, or why not (a passphrase needs the agent). */
function readKey(file: string): Buffer | 'encrypted' | 'unreadable' {
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch {
    return 'unreadable';
  }
  const parsed = loadSsh2().utils.parseKey(data);
  if (parsed instanceof Error) return /encrypted/i.test(parsed.message) ? 'encrypted' : 'unreadable';
  return data;
}

/** `~/x` as a shell would read it, so paths typed in Settings work as they do in a terminal. */
function expandHome(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : p;
}

function unusable(host: string, problem: string): EngineTarget {
  return withDocker(
    { host, problem, hint: () => problem },
    { socketPath: '/nonexistent/mlwb-unusable-engine' },
  );
}

/**
 * A dockerode client for exactly these options. dockerode's modem merges DOCKER_HOST,
 * DOCKER_TLS_VERIFY and DOCKER_CERT_PATH from the process environment into every client (a host
 * found there wins over a socket path given here, and a bad DOCKER_CERT_PATH makes the constructor
 * throw), so a named engine could silently talk to another one. This module is the one reader of
 * those variables: they are hidden while the client is made (synchronously; nothing interleaves).
 */
function dockerClient(options: Docker.DockerOptions): Docker {
  const DockerClient = require('dockerode') as typeof Docker;
  const saved: Record<string, string | undefined> = {};
  for (const k of ['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_CLIENT_TIMEOUT']) {
    saved[k] = process.env[k];
    delete process.env[k];
  }
  try {
    return new DockerClient(options);
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
  }
}

export async function engineStatus(target: EngineTarget): Promise<EngineStatus> {
  if (target.problem) return { reachable: false, host: target.host, error: target.problem };
  const timeout = target.host.startsWith('ssh://') ? SSH_STATUS_TIMEOUT_MS : STATUS_TIMEOUT_MS;
  try {
    const v = await Promise.race([
      target.docker.version(),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`no answer within ${timeout / 1000} s`)), timeout).unref(),
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
    return {
      reachable: false,
      host: target.host,
      error: `No Docker engine answers at ${target.host} (${(err as Error).message}). ${target.hint()}`,
    };
  }
}
