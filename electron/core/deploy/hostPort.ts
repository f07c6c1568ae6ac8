/**
 * The published port of a deployment on a local engine: whether it is free, and a free one to
 * suggest when it is not. A taken port is refused up front with a port the user can take instead,
 * rather than Docker's "port is already allocated" after the containers were made.
 */
import fs from 'node:fs';
import net from 'node:net';
import { WorkbenchError } from '../errors.ts';

/** Whether something on this machine can listen on `host:port` now. */
export function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    // Only a port in use is taken: another refusal (a port below 1024 for a user, say) is left
    // to the engine, which binds as root.
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code !== 'EADDRINUSE'));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port free now on `host`, chosen by the system. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Where a model server on the host's network may listen: from here up to the ephemeral range. */
const SERVER_PORTS_FROM = 20_000;

/**
 * A free loopback port for a model server on the host's network, below the system's ephemeral
 * range (which outgoing connections draw from), so that a server restarted later (after a reboot,
 * by its restart policy) finds its port still free. Outside Linux, or with no room below that
 * range, any free port.
 */
export async function freeServerPort(): Promise<number> {
  let ephemeral = 32_768;
  try {
    ephemeral = Number(
      fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
    );
  } catch {
    // Not Linux: the usual floor.
  }
  const span = ephemeral - SERVER_PORTS_FROM;
  if (!(span >= 1000)) return freePort('127.0.0.1');
  const start = Math.floor(Math.random() * span);
  for (let i = 0; i < 200; i++) {
    const port = SERVER_PORTS_FROM + ((start + i) % span);
    if (await portIsFree('127.0.0.1', port)) return port;
  }
  return freePort('127.0.0.1');
}

/** Docker's words when a published port cannot be bound. */
export function isPortTaken(message: string): boolean {
  return /port is already allocated|address already in use/i.test(message);
}

/** The refusal, naming a free port when this machine is the engine's. */
export async function portTaken(host: string, port: number, local: boolean): Promise<WorkbenchError> {
  const free = local ? await freePort(listenHost(host)).catch(() => null) : null;
  const next =
    free === null
      ? 'Deploy on another port (--port), or leave the port out to have one picked.'
      : `Port ${free} is free now: deploy with --port ${free}, or leave the port out to have one picked.`;
  return new WorkbenchError(
    'CONFLICT',
    `Port ${port} on ${host} is already in use by another program or container. ${next}`,
  );
}

/** Where to listen (or connect) to reach what is published on `bindHost`. */
export function listenHost(bindHost: string): string {
  if (bindHost === '' || bindHost === '0.0.0.0') return '127.0.0.1';
  if (bindHost === '::') return '::1';
  return bindHost;
}
