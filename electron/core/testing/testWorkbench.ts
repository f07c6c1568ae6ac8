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
  readonly home: string;
  readonly wb: Workbench;
  readonly api: Api;
  /** Closes the workbench and opens the same home again, as a restart of the app would. */
  reopen(): Promise<void>;
}

export function testWorkbench(options: OpenOptions & { each?: boolean } = {}): TestWorkbench {
  const { each = false, ...open } = options;
  const homes = tempDirs('mlwb-home-');
  let current: { home: string; wb: Workbench; api: Api } | undefined;

  const openAt = async (home: string) => {
    const wb = await openWorkbench(home, open);
    current = { home, wb, api: createApi(wb) };
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

  (each ? beforeEach : beforeAll)(() => openAt(homes.make()));
  (each ? afterEach : afterAll)(close);
  return {
    get home() {
      return opened().home;
    },
    get wb() {
      return opened().wb;
    },
    get api() {
      return opened().api;
    },
    async reopen() {
      const { home } = opened();
      await close();
      await openAt(home);
    },
  };
}
