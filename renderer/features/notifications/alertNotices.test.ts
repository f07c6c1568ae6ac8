import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../shared/monitoring.ts';
import { desktopAlertsWanted, noticesOf, setDesktopAlertsWanted } from './alertNotices.ts';

const alert = (rule: string, state: Alert['state'] = 'firing'): Alert => ({
  id: rule,
  monitor: 'iris-monitor',
  deployment: 'iris',
  rule,
  state,
  firedAt: 1,
  resolvedAt: state === 'resolved' ? 2 : null,
  value: 0.1,
  message: `${rule} failed`,
});

describe('alert notices', () => {
  it('says each alert that fired, one per monitor and rule, and nothing of those resolved', () => {
    const notices = noticesOf({
      monitor: 'iris-monitor',
      fired: [alert('dataset drift'), alert('error_rate < 0.05')],
      resolved: [alert('accuracy >= 0.9', 'resolved')],
    });
    expect(notices).toEqual([
      {
        key: 'iris-monitor\u0000dataset drift',
        monitor: 'iris-monitor',
        title: 'iris-monitor: dataset drift',
        body: 'dataset drift failed (iris)',
      },
      {
        key: 'iris-monitor\u0000error_rate < 0.05',
        monitor: 'iris-monitor',
        title: 'iris-monitor: error_rate < 0.05',
        body: 'error_rate < 0.05 failed (iris)',
      },
    ]);
    expect(noticesOf({ monitor: 'm', fired: [], resolved: [alert('x', 'resolved')] })).toEqual([]);
  });

  it('keeps the choice of desktop notifications, off until asked for', () => {
    const kept = new Map<string, string>();
    const storage = {
      getItem: (k: string) => kept.get(k) ?? null,
      setItem: (k: string, v: string) => void kept.set(k, v),
    };
    expect(desktopAlertsWanted(storage)).toBe(false);
    setDesktopAlertsWanted(true, storage);
    expect(desktopAlertsWanted(storage)).toBe(true);
    setDesktopAlertsWanted(false, storage);
    expect(desktopAlertsWanted(storage)).toBe(false);
  });
});
