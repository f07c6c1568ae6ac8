/**
 * Changing a monitor in place and pausing it, against a real SQLite store: what is named changes
 * and the rest stays, rules come and go one by one, alerts of rules it no longer checks are
 * resolved (also those a check that began before the change fires), and a paused monitor is not
 * checked on schedule.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DRIFT_RULE } from '../../../shared/monitoring.ts';
import { expectErrorCode } from '../testing/errorCodes.ts';
import { recordCheck, recordDeployment } from '../testing/monitoringFixtures.ts';
import { testWorkbench } from '../testing/testWorkbench.ts';

const app = testWorkbench();

beforeAll(() => recordDeployment(app.wb, 'clf'));

/** Records a check of `name` whose verdicts fail every rule given, as a check does. */
const fire = (name: string, rules: string[]) =>
  recordCheck(
    app.wb,
    name,
    rules.map((rule) => ({ rule, failing: true, value: 1, message: `${rule} failed` })),
  );

const firing = async (monitor: string) =>
  (await app.api.call('alerts.list', { state: 'firing', monitor })).alerts.map((a) => a.rule).sort();

describe('changing a monitor', () => {
  it('changes what is named and keeps the rest', async () => {
    const { monitor: added } = await app.api.call('monitors.add', {
      deployment: 'clf',
      everySeconds: 600,
      rules: ['error_rate < 0.05'],
    });
    app.wb.db.prepare("UPDATE monitors SET updated_at = updated_at - 1000 WHERE name = 'clf-monitor'").run();
    const { monitor, resolved } = await app.api.call('monitors.update', {
      name: 'clf-monitor',
      windowSeconds: 900,
      minRows: 20,
      addRules: ['p95_latency_ms<250'],
    });
    expect(resolved).toEqual([]);
    expect(monitor).toMatchObject({
      windowSeconds: 900,
      everySeconds: 600,
      minRows: 20,
      drift: true,
      driftShare: added.driftShare,
      reference: null,
      enabled: true,
      createdAt: added.createdAt,
    });
    expect(monitor.rules.map((r) => r.text)).toEqual(['error_rate < 0.05', 'p95_latency_ms < 250']);
    expect(monitor.updatedAt).toBeGreaterThan(added.updatedAt - 1000);
    expect((await app.api.call('monitors.get', { name: 'clf-monitor' })).monitor).toEqual(monitor);

    // A reference, then back to the training data.
    const withRef = await app.api.call('monitors.update', {
      name: 'clf-monitor',
      reference: 'dataset:iris@2',
    });
    expect(withRef.monitor.reference).toBe('dataset:iris@2');
    const back = await app.api.call('monitors.update', { name: 'clf-monitor', reference: null });
    expect(back.monitor.reference).toBeNull();
  });

  it('resolves the alerts of rules it no longer checks, and only those', async () => {
    const moved = fire('clf-monitor', [DRIFT_RULE, 'error_rate < 0.05', 'p95_latency_ms < 250']);
    expect(moved.resolved).toEqual([]);
    expect(moved.fired.map((a) => [a.rule, a.state, a.deployment]).sort()).toEqual([
      [DRIFT_RULE, 'firing', 'clf'],
      ['error_rate < 0.05', 'firing', 'clf'],
      ['p95_latency_ms < 250', 'firing', 'clf'],
    ]);
    expect(await firing('clf-monitor')).toEqual([DRIFT_RULE, 'error_rate < 0.05', 'p95_latency_ms < 250']);
    const r = await app.api.call('monitors.update', {
      name: 'clf-monitor',
      // Written as the user wrote it, not as it is stored.
      removeRules: ['p95_latency_ms<250'],
      drift: false,
    });
    expect(r.resolved.sort()).toEqual([DRIFT_RULE, 'p95_latency_ms < 250']);
    expect(await firing('clf-monitor')).toEqual(['error_rate < 0.05']);
    const gone = (await app.api.call('alerts.list', { state: 'resolved', monitor: 'clf-monitor' })).alerts;
    expect(gone.map((a) => a.message).sort()).toEqual([
      'dataset drift failed (resolved: the monitor no longer checks this rule)',
      'p95_latency_ms < 250 failed (resolved: the monitor no longer checks this rule)',
    ]);
    expect(gone.every((a) => a.resolvedAt !== null)).toBe(true);

    // A check that began before the change judged a rule it has no more: that alert is resolved too.
    // It was never seen firing: the check reports it neither fired nor resolved.
    expect(fire('clf-monitor', ['p95_latency_ms < 250'])).toEqual({ fired: [], resolved: [] });
    expect(await firing('clf-monitor')).toEqual(['error_rate < 0.05']);
  });

  it('replaces the rules whole, and refuses what it cannot be', async () => {
    const r = await app.api.call('monitors.update', {
      name: 'clf-monitor',
      rules: ['requests >= 10', 'requests>=10'],
    });
    expect(r.monitor.rules.map((x) => x.text)).toEqual(['requests >= 10']);
    expect(r.resolved).toEqual(['error_rate < 0.05']);
    await expectErrorCode(
      app.api.call('monitors.update', { name: 'clf-monitor', removeRules: ['errors < 1'] }),
      'INVALID_INPUT',
      /clf-monitor has no rule "errors < 1": its rules are "requests >= 10"/,
    );
    await expectErrorCode(
      app.api.call('monitors.update', { name: 'clf-monitor', rules: [] }),
      'INVALID_INPUT',
      /without drift needs at least one rule/,
    );
    await expectErrorCode(
      app.api.call('monitors.update', { name: 'clf-monitor', addRules: ['drift_share < 0.3'] }),
      'INVALID_INPUT',
      /needs drift tested/,
    );
    await expectErrorCode(
      app.api.call('monitors.update', { name: 'clf-monitor', rules: ['a'], addRules: ['b'] }),
      'INVALID_INPUT',
      /not both/,
    );
    await expectErrorCode(
      app.api.call('monitors.update', { name: 'clf-monitor', reference: 'notes.txt' }),
      'INVALID_INPUT',
      /neither dataset:NAME/,
    );
    await expectErrorCode(
      app.api.call('monitors.update', { name: 'nope', minRows: 5 }),
      'NOT_FOUND',
      /No monitor named nope/,
    );
    // Nothing refused was kept.
    const { monitor } = await app.api.call('monitors.get', { name: 'clf-monitor' });
    expect(monitor.rules.map((x) => x.text)).toEqual(['requests >= 10']);
    expect(monitor.reference).toBeNull();
  });

  it('is not checked on schedule while paused, and is again once resumed', async () => {
    await app.api.call('monitors.update', { name: 'clf-monitor', enabled: false, everySeconds: 60 });
    // Due long ago.
    app.wb.db
      .prepare("UPDATE monitors SET created_at = created_at - 3600000 WHERE name = 'clf-monitor'")
      .run();
    app.wb.db
      .prepare(
        "DELETE FROM monitor_runs WHERE monitor_id = (SELECT id FROM monitors WHERE name = 'clf-monitor')",
      )
      .run();
    expect((await app.api.call('monitors.list', {})).monitors[0]).toMatchObject({ enabled: false });
    const stop = app.wb.monitoring.schedule(app.wb.ops, app.wb.events, 20);
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect((await app.api.call('monitors.get', { name: 'clf-monitor' })).runs).toHaveLength(0);
      await app.api.call('monitors.update', { name: 'clf-monitor', enabled: true });
      await expect
        .poll(async () => (await app.api.call('monitors.get', { name: 'clf-monitor' })).runs.length, {
          timeout: 20_000,
        })
        .toBe(1);
    } finally {
      stop();
    }
  });
});
