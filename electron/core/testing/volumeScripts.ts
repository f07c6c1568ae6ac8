/** Playing a deployment's servers on an engine's volume, for tests and benches. */
import type Docker from 'dockerode';
import { BASE_IMAGE } from '../serving/modelImage.ts';

/**
 * Runs `sh -c script` as root in a one-off container of the base image, with the volume at /v and
 * no network, through `docker` (any engine); `tar` is unpacked into /v first. Throws unless it
 * exits 0; the container is removed either way.
 */
export async function runOnVolume(
  docker: Docker,
  volume: string,
  script: string,
  opts: { env?: Record<string, string>; tar?: Buffer } = {},
): Promise<void> {
  const c = await docker.createContainer({
    Image: BASE_IMAGE,
    Entrypoint: ['sh', '-c', script],
    Cmd: [],
    User: '0:0',
    Env: Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`),
    HostConfig: { Binds: [`${volume}:/v`], NetworkMode: 'none' },
  });
  try {
    if (opts.tar) await c.putArchive(opts.tar, { path: '/v' });
    await c.start();
    const { StatusCode } = (await c.wait()) as { StatusCode: number };
    if (StatusCode !== 0) throw new Error(`setup script exited ${StatusCode}: ${script}`);
  } finally {
    await c.remove({ force: true }).catch(() => {});
  }
}
