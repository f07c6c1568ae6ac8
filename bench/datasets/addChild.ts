/**
 * Runs one `datasets.add` in a fresh process and prints {ms, maxRssMiB, result} as JSON, so each
 * benchmark measures its own peak RSS and starts from a cold process, as the CLI would.
 */
import { createApi } from '../../electron/core/api.ts';
import { openWorkbench } from '../../electron/core/workbench.ts';

const [home, name, ...paths] = process.argv.slice(2);
if (!home || !name || paths.length === 0) throw new Error('usage: addChild HOME NAME PATH…');
const wb = await openWorkbench(home);
const api = createApi(wb);
const t0 = performance.now();
const result = await api.call('datasets.add', { name, paths });
const ms = performance.now() - t0;
await wb.close();
process.stdout.write(`${JSON.stringify({ ms, maxRssMiB: process.resourceUsage().maxRSS / 1024, result })}\n`);
