/**
 * Deployments (docs/architecture.md, "Deployments"): deploy a model version, replace it
 * health-gated, stop, restart, remove, follow an alias, and read what runs from the engines.
 */
import type {
  Deployment,
  DeploymentDetail,
  DeploymentLogs,
  DeploymentMetrics,
  DeployParams,
  DeployResult,
  FollowedAlias,
  InvokeResult,
  UpdateParams,
  UpdateResult,
} from '../../../shared/deployments.ts';
import { WorkbenchError } from '../errors.ts';
import type { OpContext } from '../ops/operations.ts';

const notYet = () => new WorkbenchError('INTERNAL', 'Deployments are being built.');

export class DeploymentService {
  async list(): Promise<Deployment[]> {
    throw notYet();
  }
  async get(_name: string): Promise<DeploymentDetail> {
    throw notYet();
  }
  async create(_p: DeployParams, _ctx: OpContext): Promise<DeployResult> {
    throw notYet();
  }
  async update(_p: UpdateParams, _ctx: OpContext): Promise<UpdateResult> {
    throw notYet();
  }
  async restart(
    _name: string,
    _readyTimeoutSeconds: number | undefined,
    _ctx: OpContext,
  ): Promise<UpdateResult> {
    throw notYet();
  }
  async stop(_name: string, _ctx: OpContext): Promise<{ deployment: Deployment }> {
    throw notYet();
  }
  async remove(_name: string, _ctx: OpContext): Promise<{ removed: boolean }> {
    throw notYet();
  }
  async logs(_name: string, _tail: number | undefined): Promise<DeploymentLogs> {
    throw notYet();
  }
  async metrics(_name: string): Promise<DeploymentMetrics> {
    throw notYet();
  }
  async invoke(_name: string, _path: string, _body: unknown): Promise<InvokeResult> {
    throw notYet();
  }
  async followAlias(_model: string, _alias: string, _ctx: OpContext): Promise<FollowedAlias[]> {
    return [];
  }
}
