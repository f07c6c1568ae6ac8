/**
 * What a deployment service asks a runtime to run (RuntimeSpec), and where a deployment on this
 * machine keeps its request log.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ModelVersion } from '../../../shared/registry.ts';
import type { RuntimeSpec } from './runtime.ts';

/** How long a new server may take to become ready, unless the user says. */
const DEFAULT_READY_TIMEOUT_S = 60;

export interface SpecParams {
  home: string;
  homeId: string;
  name: string;
  version: ModelVersion;
  alias: string | null;
  followAlias: boolean;
  image: string;
  bindHost: string;
  port: number;
  replicas: number;
  generation: number;
  local: boolean;
  readyTimeoutSeconds: number | undefined;
}

export function runtimeSpec(o: SpecParams): RuntimeSpec {
  return {
    deployment: o.name,
    homeId: o.homeId,
    model: o.version.name,
    version: o.version.version,
    alias: o.alias,
    followAlias: o.followAlias,
    image: o.image,
    bindHost: o.bindHost,
    port: o.port,
    replicas: o.replicas,
    generation: o.generation,
    // A local engine writes the request log where the workbench (and monitoring) reads it.
    requestLog: o.local
      ? { kind: 'bind', path: requestLogDir(o.home, o.name) }
      : { kind: 'volume', name: requestLogVolume(o.name) },
    readyTimeoutMs: (o.readyTimeoutSeconds ?? DEFAULT_READY_TIMEOUT_S) * 1000,
  };
}

/** The volume a deployment on another machine's engine keeps its request log in, there. */
export const requestLogVolume = (deployment: string) => `mlwb-dep-${deployment}-requests`;

/** Where a deployment's request logs are kept on this machine. */
export function requestLogDir(home: string, name: string): string {
  return path.join(home, 'deployments', name, 'requests');
}

/** A log's folders: `g<N>` for a container, `g<N>-r<S>` for replica S of a Swarm service. */
export const GENERATION = /^g\d+(?:-r\d+)?$/;
/** A log's files in a generation: `requests.jsonl`, and `requests.N.jsonl` rotated out. */
export const LOG_FILE = /^requests(?:\.(\d+))?\.jsonl$/;
/** A log file's first bytes kept with its offset, to tell a new file that took a freed inode. */
export const HEAD_BYTES = 64;

/**
 * A new deployment named like a removed one logs its requests afresh: the old log (its g1/, g2/…
 * would otherwise take the new one's appends) is kept beside it, as `requests-before-<time>` —
 * unless servers still write it (`stillWritten`, asked only when there is an old log).
 */
export async function setAsideRequestLog(
  home: string,
  name: string,
  stillWritten: () => Promise<boolean>,
): Promise<void> {
  const dir = requestLogDir(home, name);
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return;
  }
  if (entries.length === 0 || (await stillWritten())) return;
  fs.renameSync(dir, `${dir}-before-${new Date().toISOString().replace(/[:.]/g, '-')}`);
}
