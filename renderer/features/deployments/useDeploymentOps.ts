/**
 * The long operations of one deployment's page (update, restart, stop, remove), held together so
 * the page knows when one is under way: the buttons wait, and the deployment is not asked for
 * figures while it stops, nor read at all once it is being removed (it would answer "not found").
 */
import { api } from '../../api/hooks.ts';

export function useDeploymentOps() {
  const update = api.deployments.update.useOperation();
  const restart = api.deployments.restart.useOperation();
  const stop = api.deployments.stop.useOperation();
  const remove = api.deployments.remove.useOperation();
  const running = [update, restart, stop, remove].some((o) => o.state.status === 'running');
  const removing = remove.state.status === 'running' || remove.state.status === 'succeeded';
  const stopping = stop.state.status === 'running' || removing;
  return { update, restart, stop, remove, running, stopping, removing };
}

export type DeploymentOps = ReturnType<typeof useDeploymentOps>;
