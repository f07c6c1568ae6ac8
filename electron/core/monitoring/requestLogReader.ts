/**
 * Taking a deployment's new request log lines into the store before anything reads its traffic
 * (a check, its recent requests, labels, a `deployment:` drift input): from its folder on this
 * machine, or through its engine from the volume its servers write on another machine
 * (deploy/remoteRequestLog.ts), one remote read at a time per deployment. Old traffic ages out of
 * the store as the log is read.
 */
import type Docker from 'dockerode';
import { isLocalEngine } from '../deploy/deploymentEngines.ts';
import type { DeploymentRecord } from '../deploy/deploymentRepo.ts';
import { requestLogDir, requestLogVolume } from '../deploy/deploymentSpec.ts';
import { READ_BUDGET_BYTES, readRemoteLog, type VolumeTask } from '../deploy/remoteRequestLog.ts';
import type { EngineRegistry } from '../docker/engineRegistry.ts';
import { cancelled, WorkbenchError } from '../errors.ts';
import { now } from '../ids.ts';
import type { Db } from '../store/database.ts';
import type { MonitorRepo } from './monitorRepo.ts';
import { RequestLogIngest } from './requestLogIngest.ts';

/** How long logged requests are kept in the store. */
const REQUESTS_KEPT_DAYS = 30;

interface QueuedRead {
  /** Whether it reads now (else it waits for the read before it). */
  started: boolean;
  /** Whether its asker may cancel it (then nobody else joins it). */
  cancellable: boolean;
  run: Promise<void>;
}

/** `p`'s outcome, or a cancellation as soon as `signal` aborts (`p` goes on). */
function untilSettledOrAborted(p: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return p;
  signal.throwIfAborted();
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export class RequestLogReader {
  private readonly ingestor: RequestLogIngest;
  /** When each deployment's old traffic was last pruned, by this process. */
  private readonly pruned = new Map<string, number>();
  /** The latest read of a remote log asked for, by deployment id (they go one at a time). */
  private readonly remoteReads = new Map<string, QueuedRead>();

  constructor(private readonly d: { home: string; db: Db; engines: EngineRegistry; repo: MonitorRepo }) {
    this.ingestor = new RequestLogIngest(d.db);
  }

  /** Takes the deployment's new log lines in. */
  async takeIn(dep: DeploymentRecord, signal?: AbortSignal): Promise<void> {
    const target = this.d.engines.target(dep.engine ?? undefined);
    if (target.problem) throw new WorkbenchError('ENGINE_UNAVAILABLE', target.problem);
    if (isLocalEngine(target)) {
      await this.ingestor.ingest(dep.id, requestLogDir(this.d.home, dep.name), signal);
    } else if (dep.image) {
      await this.takeInRemote(dep, target.docker, signal);
    }
    // Traffic ages out of the store (the log files keep what the server still keeps); looked at
    // once an hour per deployment.
    const at = now();
    if ((this.pruned.get(dep.id) ?? 0) < at - 3600_000) {
      this.pruned.set(dep.id, at);
      this.d.repo.pruneRequests(dep.id, at - REQUESTS_KEPT_DAYS * 86_400_000);
    }
  }

  /**
   * Reads a remote log, one read at a time per deployment. An asker with nothing to cancel (the
   * Recent requests view) joins a read still waiting to start; any other queues behind the one
   * before it. An asker cancelled while it waits returns at once, but its place in the queue stays
   * (its read then ends at its start), so the reads after it still wait for the ones before.
   */
  private async takeInRemote(dep: DeploymentRecord, docker: Docker, signal?: AbortSignal): Promise<void> {
    const queued = this.remoteReads.get(dep.id);
    if (queued && !queued.started && !signal && !queued.cancellable) return queued.run;
    const task: VolumeTask = {
      docker,
      image: dep.image,
      volume: requestLogVolume(dep.name),
      deployment: dep.name,
      engine: dep.engine ?? 'default',
      signal,
    };
    const entry: QueuedRead = { started: false, cancellable: Boolean(signal), run: Promise.resolve() };
    entry.run = (async () => {
      await queued?.run.catch(() => {});
      entry.started = true;
      await this.ingestor.ingestRead(
        dep.id,
        (known, scale) => readRemoteLog(task, known, READ_BUDGET_BYTES * scale),
        signal,
      );
    })();
    this.remoteReads.set(dep.id, entry);
    void entry.run
      .catch(() => {})
      .then(() => {
        if (this.remoteReads.get(dep.id) === entry) this.remoteReads.delete(dep.id);
      });
    await untilSettledOrAborted(entry.run, signal);
  }
}
