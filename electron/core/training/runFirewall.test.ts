/**
 * The run firewall's check against an engine that never answers (a real unix socket that accepts
 * and stays silent): it counts as a check that could not run, once its time is up, so launches and
 * the running runs' guard are not held by it.
 */
import net from 'node:net';
import path from 'node:path';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../testing/tempDirs.ts';
import { FIREWALL_SETTING, runFirewall } from './runFirewall.ts';

const dirs = tempDirs();

describe.runIf(process.platform === 'linux')('a run firewall check', () => {
  it('gives up on an engine that never answers, as a check that could not run', async () => {
    delete process.env[FIREWALL_SETTING];
    const sock = path.join(dirs.make(), 'hung.sock');
    const held: net.Socket[] = [];
    const engine = net.createServer((c) => held.push(c));
    await new Promise<void>((r) => engine.listen(sock, r));
    try {
      const firewall = runFirewall(new Docker({ socketPath: sock }), 'mlwb-hung', 'run', 1000);
      const gap = await firewall.check();
      expect(held.length).toBeGreaterThan(0);
      expect(gap).toMatchObject({ refused: false });
      expect(gap?.closed).toMatch(/could not check them \(the engine did not answer within 1 s\)/);
      expect(firewall.repairedAt).toBe(0);
    } finally {
      for (const c of held) c.destroy();
      engine.close();
    }
  });
});
