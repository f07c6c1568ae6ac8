/**
 * A gate's outcome, rule by rule (✓ held, ✗ refused, with the value measured and the threshold),
 * and what it was measured on: where an alias was moved by hand (a model's page) and where a
 * retraining policy tried to move it (a policy's pipeline).
 */
import type { GateOutcome } from '../../shared/registry.ts';
import { formatJsonNumber } from '../format.ts';
import './GateRules.css';

export function GateRules(props: { gate: GateOutcome }) {
  const g = props.gate;
  return (
    <ul className="gate-outcome" data-testid="gate-rules">
      {g.rules.map((r) => (
        <li key={r.rule} className={r.passed ? 'gate-pass' : 'gate-fail'}>
          {r.passed ? '✓' : '✗'} <span className="mono">{r.rule}</span>: {r.metric} ={' '}
          {r.value === null ? 'none' : formatJsonNumber(r.value)}
          {r.threshold !== null && `, threshold ${formatJsonNumber(r.threshold)}`}
          {r.note && <span className="muted"> ({r.note})</span>}
        </li>
      ))}
      <li className="muted small">
        measured on {g.dataset}@{g.datasetVersion}
        {g.champion !== null && g.champion !== g.candidate ? `, against v${g.champion}` : ''}
      </li>
    </ul>
  );
}
