/**
 * The entry point of the model server that goes into every model image (`node server.mjs` there,
 * once bundled): reads the configuration from the environment, starts listening, loads and warms
 * the model up, and on SIGTERM or SIGINT drains and exits within 10 seconds. A model that cannot be
 * loaded ends the process with status 1, so the deployment sees a failed start and not a server
 * that never becomes ready. With MLWB_SERVER_WORKERS above 1 (the default where several CPUs are
 * usable) this process becomes the primary of several server processes (cluster.ts).
 */
import { ModelServer } from './app.ts';
import { GRACE_MS, isWorker, runPrimary, runWorker } from './cluster.ts';
import { ConfigError, readConfig } from './config.ts';
import { loadRuntime } from './model.ts';

function say(message: string): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), message })}\n`);
}

async function main(): Promise<void> {
  let config: ReturnType<typeof readConfig>;
  try {
    config = readConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`mlwb model server: ${err.message}\n`);
    process.exit(2);
  }
  if (isWorker()) return runWorker(config, say);
  if (config.workers > 1) return runPrimary(config, say);
  const app = new ModelServer(config);
  // onnxruntime loads while the server starts listening and reads the model.
  loadRuntime().catch(() => {});
  const port = await app.listen();
  say(`listening on ${config.host}:${port}; loading ${config.meta.name} version ${config.meta.version}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: draining ${app.metrics.inFlight} request(s) in flight`);
    setTimeout(() => {
      say('grace period over: closing the remaining connections');
      app.abort();
      process.exit(1);
    }, GRACE_MS).unref();
    app.shutdown().then(
      () => {
        say('stopped');
        process.exit(0);
      },
      (err: Error) => {
        process.stderr.write(`mlwb model server: shutdown failed: ${err.message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  try {
    const { loadSeconds, warmupSeconds } = await app.load();
    say(`ready: loaded in ${loadSeconds.toFixed(3)} s, warmed up in ${warmupSeconds.toFixed(3)} s`);
  } catch (err) {
    process.stderr.write(`mlwb model server: cannot load ${config.modelPath}: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

await main();
