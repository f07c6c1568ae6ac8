/** A small line of recent values (req/s, p95), drawn as one SVG path; empty until two reads. */
import { sparklinePath } from './metricsHistory.ts';

const WIDTH = 120;
const HEIGHT = 28;

export function Sparkline(props: { values: (number | null)[]; label: string }) {
  if (props.values.length < 2) return <span className="sparkline sparkline-empty" aria-hidden="true" />;
  return (
    <svg
      className="sparkline"
      width={WIDTH}
      height={HEIGHT}
      viewBox={`-1 -1 ${WIDTH + 2} ${HEIGHT + 2}`}
      role="img"
      aria-label={props.label}
      data-testid="sparkline"
    >
      <path d={sparklinePath(props.values, WIDTH, HEIGHT)} />
    </svg>
  );
}
