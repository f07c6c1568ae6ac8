/**
 * One param or metric against another, a point per run: a learning rate against the accuracy it
 * reached, say. Numbers on a linear axis (a log one for a param spanning decades, as on the
 * parallel axes), anything else one category per value. Runs without both values are left out,
 * and the count says how many.
 */
import { useMemo, useState } from 'react';
import type { RunSummary } from '../../../shared/tracking.ts';
import { AXIS, Plot } from '../../components/Plot.tsx';
import { type Axis, axisOf, plotted } from './parallelAxes.ts';

export function ParamScatter(props: {
  runs: RunSummary[];
  params: string[];
  metrics: string[];
  y: string | undefined;
}) {
  const { runs, params, metrics } = props;
  const choices = useMemo(
    () => [
      ...params.map((key) => ({ id: `param:${key}`, label: `param ${key}` })),
      ...metrics.map((key) => ({ id: `metric:${key}`, label: `metric ${key}` })),
    ],
    [params, metrics],
  );
  const [picked, setPicked] = useState<{ x?: string; y?: string }>({});
  const yDefault = props.y ? `metric:${props.y}` : choices.find((c) => c.id.startsWith('metric:'))?.id;
  const yId = picked.y && choices.some((c) => c.id === picked.y) ? picked.y : yDefault;
  // Across: the first param that differs (else another metric), not what goes up.
  const xDefault = choices.find((c) => c.id !== yId)?.id;
  const xId = picked.x && choices.some((c) => c.id === picked.x) ? picked.x : xDefault;
  const x = useMemo(() => axisFor(runs, xId), [runs, xId]);
  const y = useMemo(() => axisFor(runs, yId), [runs, yId]);

  const points = useMemo(() => {
    if (!x || !y) return [];
    return runs.flatMap((run) => {
      const px = plotted(run, x);
      const py = plotted(run, y);
      return px === undefined || py === undefined ? [] : [{ run, x: px, y: py }];
    });
  }, [runs, x, y]);

  const data = useMemo(
    () => [
      {
        type: 'scatter' as const,
        mode: 'markers' as const,
        x: points.map((p) => p.x),
        y: points.map((p) => p.y),
        text: points.map((p) => p.run.name),
        marker: { color: '#2f6fde', size: 8, opacity: 0.75 },
        hovertemplate: '%{text}<br>%{x}, %{y:.4g}<extra></extra>',
      },
    ],
    [points],
  );
  const layout = useMemo(
    () => ({ xaxis: axisLayout(x), yaxis: axisLayout(y), margin: { l: 56, r: 12, t: 8, b: 44 } }),
    [x, y],
  );

  if (choices.length < 2) return null;
  const select = (label: string, value: string | undefined, on: (id: string) => void) => (
    <select
      className="input scatter-select"
      aria-label={label}
      value={value}
      onChange={(e) => on(e.target.value)}
    >
      {choices.map((c) => (
        <option key={c.id} value={c.id}>
          {c.label}
        </option>
      ))}
    </select>
  );
  const left = runs.length - points.length;
  return (
    <div className="param-scatter">
      <div className="scatter-controls">
        <span>One against another:</span>
        {select('Scatter across (x)', xId, (id) => setPicked({ ...picked, x: id }))}
        <span className="muted">against</span>
        {select('Scatter up (y)', yId, (id) => setPicked({ ...picked, y: id }))}
        {left > 0 && (
          <span className="muted" data-testid="scatter-left">
            {left.toLocaleString()} {left === 1 ? 'run has' : 'runs have'} no value for one of them
          </span>
        )}
      </div>
      <Plot
        label={`${x?.key ?? ''} against ${y?.key ?? ''}`}
        testId="param-scatter"
        points={points.length}
        data={data}
        layout={layout}
        height={300}
      />
    </div>
  );
}

/** The axis of one param or metric, from its id (`param:KEY`, `metric:KEY`). */
function axisFor(runs: RunSummary[], id: string | undefined): Axis | undefined {
  if (!id) return undefined;
  const [kind, ...rest] = id.split(':');
  return axisOf(runs, kind as Axis['kind'], rest.join(':'));
}

function axisLayout(axis: Axis | undefined) {
  return {
    ...AXIS,
    title: { text: axis ? axis.key : '', font: { size: 11 } },
    ...(axis?.scale.type === 'category'
      ? { type: 'category' as const, categoryorder: 'array' as const, categoryarray: axis.scale.values }
      : axis?.scale.type === 'linear' && axis.scale.log
        ? { type: 'log' as const }
        : { type: 'linear' as const }),
  };
}
