/**
 * Whatever a failed test left on the engine for a home: every container, service and volume its
 * deployments made (found by the home's label), removed after the test file.
 */
import Docker from 'dockerode';
import { DEPLOY_LABELS } from '../deploy/runtime.ts';
import { openWorkbench } from '../workbench.ts';

export async function removeHomeDeployments(home: string): Promise<void> {
  const docker = new Docker();
  const wb = await openWorkbench(home);
  try {
    const filters = { label: [`${DEPLOY_LABELS.home}=${wb.deployments.homeId}`] };
    for (const c of await docker.listContainers({ all: true, filters }))
      await docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => {});
    for (const s of await docker.listServices({ filters }).catch(() => []))
      await docker
        .getService(s.ID)
        .remove()
        .catch(() => {});
    for (const v of (await docker.listVolumes({ filters })).Volumes ?? [])
      await docker
        .getVolume(v.Name)
        .remove()
        .catch(() => {});
  } finally {
    await wb.close();
  }
}
