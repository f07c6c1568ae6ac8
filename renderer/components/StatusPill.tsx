/**
 * A status as a coloured pill: a dot and a word, its tone saying how it stands (the dot pulses
 * while busy), and what it means on hover. Each feature maps its own statuses to tones.
 */
import './StatusPill.css';

export type PillTone = 'ok' | 'busy' | 'idle' | 'warn' | 'bad';

export function StatusPill(props: {
  tone: PillTone;
  label: string;
  /** The status as the feature names it (`data-status`, for tests and styles). */
  status: string;
  testId: string;
  title?: string;
}) {
  return (
    <span
      className={`status-pill status-pill-${props.tone}`}
      data-testid={props.testId}
      data-status={props.status}
      title={props.title}
    >
      <span className="status-pill-dot" aria-hidden="true" />
      {props.label}
    </span>
  );
}
