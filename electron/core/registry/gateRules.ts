/**
 * Checking a gate's rules: each rule compares a metric of the candidate version with a number, or
 * with the same data's metric of the version that holds the alias now (the champion). A relative
 * rule with no champion to compare against passes, and says so: the first version to take an
 * alias has nothing to beat.
 */
import type { GateRule, RuleOutcome } from '../../../shared/registry.ts';

type Metrics = Record<string, number>;

/** `value op threshold`; NaN compares false either way. */
export function compare(value: number, op: GateRule['op'], threshold: number): boolean {
  switch (op) {
    case '>=':
      return value >= threshold;
    case '>':
      return value > threshold;
    case '<=':
      return value <= threshold;
    case '<':
      return value < threshold;
  }
}

function thresholdOf(rule: GateRule, champion: Metrics | null): number | null | { missing: string } {
  const t = rule.threshold;
  if (t.kind === 'absolute') return t.value;
  if (!champion) return null;
  const base = champion[t.metric];
  if (base === undefined) return { missing: t.metric };
  if (t.change === null || t.by === null) return base;
  if (t.change === '+') return base + t.by;
  if (t.change === '-') return base - t.by;
  // A relative change, on the baseline's size as MLflow's min_relative_change is: `* 1.05` is 5%
  // above the champion's value whether that value is positive or negative.
  return base + (t.by - 1) * Math.abs(base);
}

export function checkRules(rules: GateRule[], candidate: Metrics, champion: Metrics | null): RuleOutcome[] {
  return rules.map((rule) => {
    const value = candidate[rule.metric];
    const threshold = thresholdOf(rule, champion);
    const base = { rule: rule.text, metric: rule.metric, value: value ?? null };
    if (value === undefined)
      return { ...base, threshold: null, passed: false, note: `the evaluation has no metric ${rule.metric}` };
    if (threshold === null)
      return {
        ...base,
        threshold: null,
        passed: true,
        note: 'no version holds the alias yet: nothing to compare with',
      };
    if (typeof threshold === 'object')
      return {
        ...base,
        threshold: null,
        passed: false,
        note: `the champion's evaluation has no metric ${threshold.missing}`,
      };
    // NaN compares false either way: a metric that could not be computed never passes.
    return { ...base, threshold, passed: compare(value, rule.op, threshold), note: null };
  });
}
