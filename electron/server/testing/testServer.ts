/**
 * The browser-mode server a test file talks to: a test workbench (see core/testing/testWorkbench.ts)
 * opened in browser mode, served on a free loopback port before the file's tests and stopped
 * after them, before the workbench closes.
 */
import { afterAll, beforeAll } from 'vitest';
import { tempDirs } from '../../core/testing/tempDirs.ts';
import { type TestWorkbench, testWorkbench } from '../../core/testing/testWorkbench.ts';
import { type RunningServer, startServer } from '../server.ts';

export interface TestServer extends TestWorkbench {
  readonly server: RunningServer;
  /** `http://127.0.0.1:PORT`, without a trailing slash. */
  readonly base: string;
  /** The Authorization header a signed-in client sends. */
  auth(): { Authorization: string };
}

export function testServer(): TestServer {
  const app = testWorkbench({ mode: 'browser' });
  const renderer = tempDirs('mlwb-renderer-');
  let server: RunningServer | undefined;
  beforeAll(async () => {
    server = await startServer(app.wb, app.api, { port: 0, rendererDir: renderer.make() });
  });
  afterAll(async () => {
    await server?.close();
    server = undefined;
  });
  const running = () => {
    if (!server) throw new Error('The test server runs only inside tests and hooks.');
    return server;
  };
  return {
    get wb() {
      return app.wb;
    },
    get api() {
      return app.api;
    },
    get server() {
      return running();
    },
    get base() {
      return `http://127.0.0.1:${running().port}`;
    },
    auth: () => ({ Authorization: `Bearer ${running().token}` }),
  };
}
