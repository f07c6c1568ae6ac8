/**
 * The front of a swarm deployment: a small TCP balancer that holds the deployment's published port
 * and spreads connections over the replicas that are ready.
 *
 * Why not Swarm's ingress routing mesh: it balances with the kernel's IPVS, which many kernels do
 * not have (a Firecracker or gVisor VM, some minimal cloud kernels); there the published port is
 * refused and nothing says why. The front needs only what plain containers need: an overlay
 * network, Docker's DNS (`tasks.SERVICE` lists the replicas' addresses, no virtual IP) and an
 * ordinary host-mode port. It runs as a global service, so the port is open on every node, as the
 * mesh's would be.
 *
 * It asks each replica `/v2/health/ready` every second and sends new connections only to those
 * that answer 200: a replica that is still loading, or draining after SIGTERM during a rolling
 * update, gets none. A connection refused is tried on the next ready replica; with none ready the
 * client gets a 503 that says so. It runs with node from the model image itself (the image every
 * node already pulls), so a deployment needs no second image.
 *
 * Swarm publishes a port on every address of a node, never on 127.0.0.1 alone. A deployment meant
 * for this machine only (bind host 127.0.0.1) is held to it by the front: what this machine sends
 * (to its loopback, or from its containers to a bridge's address) reaches the container through
 * Docker's proxy, from the gateway of the node's docker_gwbridge network (the container's default
 * route); what comes from the network is forwarded with its own source address, and is closed.
 */

/** The balancer, run as `node -e FRONT_SCRIPT`; configured by the environment below. */
export const FRONT_SCRIPT = String.raw`
const net = require('node:net');
const http = require('node:http');
const dns = require('node:dns').promises;
const backends = process.env.MLWB_FRONT_BACKENDS;
const target = Number(process.env.MLWB_FRONT_TARGET_PORT);
const port = Number(process.env.MLWB_FRONT_PORT);
const onlyFrom = process.env.MLWB_FRONT_LOOPBACK === '1' ? defaultGateway() : null;
let ready = [];
let turn = 0;

/** The default route's gateway, from /proc/net/route (hex, little-endian). */
function defaultGateway() {
  const rows = require('node:fs').readFileSync('/proc/net/route', 'utf8').trim().split('\n').slice(1);
  for (const row of rows) {
    const [, destination, gateway] = row.trim().split(/\s+/);
    if (destination !== '00000000') continue;
    const g = Number.parseInt(gateway, 16);
    return [g & 255, (g >>> 8) & 255, (g >>> 16) & 255, g >>> 24].join('.');
  }
  throw new Error('no default route: cannot tell this machine from the network');
}

function probe(ip) {
  return new Promise((resolve) => {
    const req = http.get({ host: ip, port: target, path: '/v2/health/ready', timeout: 800 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

async function refresh() {
  let ips = [];
  try {
    ips = await dns.resolve4(backends);
  } catch {}
  const ok = await Promise.all(ips.map(probe));
  ready = ips.filter((_, i) => ok[i]);
  setTimeout(refresh, 1000);
}

const unavailable = JSON.stringify({
  error: 'No replica of this deployment is ready: it is starting, stopped or failing. See mlwb deployments show.',
});

const server = net.createServer((client) => {
  client.on('error', () => {});
  if (onlyFrom && String(client.remoteAddress).replace(/^::ffff:/, '') !== onlyFrom) {
    client.destroy();
    return;
  }
  const connect = (tried) => {
    if (tried >= ready.length) {
      client.end('HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: ' +
        Buffer.byteLength(unavailable) + '\r\nconnection: close\r\n\r\n' + unavailable);
      return;
    }
    const upstream = net.connect(target, ready[turn++ % ready.length]);
    upstream.once('error', () => connect(tried + 1));
    upstream.once('connect', () => {
      upstream.removeAllListeners('error');
      upstream.on('error', () => client.destroy());
      upstream.on('close', () => client.destroy());
      client.on('close', () => upstream.destroy());
      client.pipe(upstream).pipe(client);
    });
  };
  connect(0);
});
server.listen(port, '0.0.0.0');
refresh();
// PID 1 ignores SIGTERM unless it handles it.
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 5000).unref();
});
`;

export function frontEnv(service: string, targetPort: number, port: number, bindHost: string): string[] {
  return [
    `MLWB_FRONT_BACKENDS=tasks.${service}`,
    `MLWB_FRONT_TARGET_PORT=${targetPort}`,
    `MLWB_FRONT_PORT=${port}`,
    `MLWB_FRONT_LOOPBACK=${isLoopback(bindHost) ? 1 : 0}`,
  ];
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || host.startsWith('127.');
