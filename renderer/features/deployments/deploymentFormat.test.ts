import { describe, expect, it } from 'vitest';
import {
  aliasNote,
  formatErrorRate,
  formatMode,
  formatMs,
  formatRate,
  formatUptime,
  isServing,
  plainLogText,
  splitFirstLine,
  statusTone,
} from './deploymentFormat.ts';

describe('deployment format', () => {
  it('counts uptime from the start, to the second under an hour', () => {
    const t0 = 1_700_000_000_000;
    expect(formatUptime(null, t0)).toBe('—');
    expect(formatUptime(t0, t0 + 42_400)).toBe('42 s');
    expect(formatUptime(t0, t0 + 185_000)).toBe('3 min 05 s');
    expect(formatUptime(t0, t0 + (2 * 3600 + 7 * 60 + 59) * 1000)).toBe('2 h 07 min');
    expect(formatUptime(t0, t0 + (3 * 86400 + 4 * 3600) * 1000)).toBe('3 d 4 h');
    // A clock a little behind the engine's never shows a negative uptime.
    expect(formatUptime(t0, t0 - 5000)).toBe('0 s');
  });

  it('says an unknown error rate apart from a zero one', () => {
    expect(formatErrorRate(null)).toBe('—');
    expect(formatErrorRate(0)).toBe('0%');
    expect(formatErrorRate(0.004)).toBe('0.40%');
    expect(formatErrorRate(0.25)).toBe('25.0%');
  });

  it('reads rates and latencies at a useful precision', () => {
    expect(formatRate(0)).toBe('0');
    expect(formatRate(0.5)).toBe('0.50');
    expect(formatRate(12.345)).toBe('12.3');
    expect(formatRate(1234.5)).toBe('1235');
    expect(formatMs(null)).toBe('—');
    expect(formatMs(0.42)).toBe('0.42 ms');
    expect(formatMs(3.04)).toBe('3.0 ms');
    expect(formatMs(250.4)).toBe('250 ms');
  });

  it('tells serving, changing, resting and broken states apart', () => {
    expect(statusTone('running')).toBe('ok');
    expect(statusTone('replacing')).toBe('busy');
    expect(statusTone('starting')).toBe('busy');
    expect(statusTone('stopped')).toBe('idle');
    for (const s of ['dead', 'missing', 'unknown'] as const) expect(statusTone(s)).toBe('bad');
    expect(isServing('running')).toBe(true);
    expect(isServing('replacing')).toBe(true);
    expect(isServing('stopped')).toBe(false);
    expect(isServing('dead')).toBe(false);
  });

  it('says what the alias means for the served version', () => {
    const base = { alias: null, followAlias: false, aliasVersion: null, version: 2 };
    expect(aliasNote(base)).toBeNull();
    expect(aliasNote({ ...base, alias: 'champion', followAlias: true, aliasVersion: 2 })).toEqual({
      text: 'follows champion',
      behind: null,
    });
    expect(aliasNote({ ...base, alias: 'champion', aliasVersion: 2 })).toEqual({
      text: 'made from champion',
      behind: null,
    });
    expect(aliasNote({ ...base, alias: 'champion', followAlias: true, aliasVersion: 3 })).toEqual({
      text: 'champion now points at v3',
      behind: 3,
    });
  });

  it('names the mode, with replicas for Swarm', () => {
    expect(formatMode({ mode: 'container', replicas: 1 })).toBe('container');
    expect(formatMode({ mode: 'swarm', replicas: 3 })).toBe('swarm × 3');
  });

  it('shows log text without terminal colour codes', () => {
    const esc = String.fromCharCode(27);
    expect(plainLogText(`${esc}[1;31m2026-11-28 [E:onnxruntime] Reshape failed${esc}[m`)).toBe(
      '2026-11-28 [E:onnxruntime] Reshape failed',
    );
    expect(plainLogText('plain [1;31m stays')).toBe('plain [1;31m stays');
  });

  it('splits a message into its first line and the rest', () => {
    expect(splitFirstLine('one line')).toEqual({ first: 'one line', rest: '' });
    expect(splitFirstLine('why\nlog 1\nlog 2')).toEqual({ first: 'why', rest: 'log 1\nlog 2' });
  });
});
