/**
 * The workbench a test file works on: a fresh home opened before the file's tests (before each
 * test with `each`) and closed after them, its API beside it; the homes are removed with the
 * file's other temp folders. Read its fields inside tests and hooks, once it is open.
 */
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { type Api, createApi } from '../api.ts';
import { openWorkbench, type Workbench } from '../workbench.ts';
import { tempDirs } from './tempDirs.ts';

export type OpenOptions = NonNullable<Parameters<typeof openWorkbench>[1]>;

export interface TestWorkbench {
  readonly wb: Workbench;
  readonly api: Api;
}

export function testWorkbench(options: OpenOptions & { each?: boolean } = {}): TestWorkbench {
  const { each = false, ...open } = options;
  const homes = tempDirs('mlwb-home-');
  let current: { wb: Workbench; api: Api } | undefined;

  const openFresh = async () => {
    const wb = await openWorkbench(homes.make(), open);
    current = { wb, api: createApi(wb) };
  };
  const close = async () => {
    const closing = current;
    current = undefined;
    await closing?.wb.close();
  };
  const opened = () => {
    if (!current) throw new Error('The test workbench is open only inside tests and hooks.');
    return current;
  };

  (each ? beforeEach : beforeAll)(openFresh);
  (each ? afterEach : afterAll)(close);
  return {
    get wb() {
      return opened().wb;
    },
    get api() {
      return opened().api;
    },
  };
}
