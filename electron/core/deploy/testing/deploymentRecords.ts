/**
 * A deployment as the store records one, for tests that need the record and no engine: a running
 * container deployment of `name` v1 on this machine's engine, with what the test names changed.
 */
import type { NewDeployment } from '../deploymentRepo.ts';

export function deploymentRecord(name: string, changes: Partial<NewDeployment> = {}): NewDeployment {
  return {
    name,
    model: name,
    version: 1,
    alias: null,
    followAlias: false,
    engine: null,
    mode: 'container',
    replicas: 1,
    bindHost: '127.0.0.1',
    urlHost: '127.0.0.1',
    port: 1,
    image: 'test',
    desired: 'running',
    generation: 1,
    ...changes,
  };
}
