/**
 * Runs as lines across one axis per differing param and per metric, coloured by the rightmost
 * metric: the view a sweep of hundreds of runs is read in. Drag along an axis to keep only the runs
 * inside that range (on several axes: inside all of them); a click on the axis clears it. A line
 * under the pointer is named; a click on it opens its run.
 */
import { useMemo, useRef, useState } from 'react';
import type { RunSummary } from '../../../shared/tracking.ts';
import { useContainerWidth } from '../../components/Plot.tsx';
import { formatJsonNumber } from '../../format.ts';
import { href, navigate } from '../../router.ts';
import { type Axis, chooseAxes, formatTick, keptBy, MISSING, position, valueAt } from './parallelAxes.ts';
import './RunsComparePage.css';

const HEIGHT = 320;
const M = { left: 44, right: 56, top: 34, bottom: 34 };
const PLOT_H = HEIGHT - M.top - M.bottom;

/** Low to high along the colour metric. */
function colorAt(p: number): string {
  if (p === MISSING) return '#b8bec8';
  const stops = [
    [47, 111, 222],
    [123, 82, 199],
    [217, 130, 43],
  ];
  const t = Math.min(1, Math.max(0, p)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(t));
  const f = t - i;
  const c = stops[i]!.map((v, k) => Math.round(v + (stops[i + 1]![k]! - v) * f));
  return `rgb(${c.join(',')})`;
}

const yOf = (p: number) => (p === MISSING ? M.top + PLOT_H + 20 : M.top + (1 - p) * PLOT_H);
const pOf = (y: number) => Math.min(1, Math.max(0, 1 - (y - M.top) / PLOT_H));

export function ParallelCoordinates(props: {
  runs: RunSummary[];
  metrics: string[];
  colorBy: string | undefined;
}) {
  const { runs } = props;
  const el = useRef<HTMLDivElement>(null);
  const width = useContainerWidth(el, true);
  const axes = useMemo(
    () => chooseAxes(runs, props.metrics, props.colorBy),
    [runs, props.metrics, props.colorBy],
  );
  const axesKey = axes.map((a) => `${a.kind}:${a.key}`).join('|');
  // Ranges per axis, as positions (0 bottom, 1 top); forgotten when the axes change.
  const [brushState, setBrushState] = useState<{ axes: string; ranges: Map<number, [number, number]> }>({
    axes: axesKey,
    ranges: new Map(),
  });
  const brushes = brushState.axes === axesKey ? brushState.ranges : new Map<number, [number, number]>();
  const setBrushes = (ranges: Map<number, [number, number]>) => setBrushState({ axes: axesKey, ranges });
  const [hover, setHover] = useState<{ id: string; x: number; y: number } | null>(null);
  const dragging = useRef<{ axis: number; from: number } | null>(null);

  const xs = axes.map((_, i) =>
    axes.length === 1 ? width / 2 : M.left + (i * (width - M.left - M.right)) / (axes.length - 1),
  );
  const lines = useMemo(
    () =>
      runs.map((run) => {
        const ps = axes.map((a) => position(run, a));
        return { run, ps, color: colorAt(ps.at(-1) ?? MISSING) };
      }),
    [runs, axes],
  );
  const kept = useMemo(() => keptBy(runs, axes, brushes), [runs, axes, brushes]);

  if (axes.length < 2)
    return (
      <p className="muted" data-testid="parallel-empty">
        These runs differ in no param and share fewer than two metrics: there is nothing to lay side by side
        on axes.
      </p>
    );

  /** The pointer's height in the figure's own coordinates. */
  const pointerY = (e: React.PointerEvent<SVGRectElement>) =>
    e.clientY - (e.currentTarget.ownerSVGElement ?? e.currentTarget).getBoundingClientRect().top;
  const hovered = hover ? lines.find((l) => l.run.id === hover.id) : undefined;
  const path = (ps: number[]) =>
    ps.map((p, i) => `${i ? 'L' : 'M'}${xs[i]!.toFixed(1)},${yOf(p).toFixed(1)}`).join('');

  return (
    <div ref={el} className="parallel" data-testid="parallel-coordinates" data-kept={kept.size}>
      {width > 0 && (
        <svg width={width} height={HEIGHT} role="img" aria-label="Runs across their params and metrics">
          <g className="parallel-lines">
            {(brushes.size
              ? [...lines].sort((a, b) => Number(kept.has(a.run.id)) - Number(kept.has(b.run.id)))
              : lines
            ).map((l) => (
              <path
                key={l.run.id}
                d={path(l.ps)}
                stroke={kept.has(l.run.id) ? l.color : '#d5d9df'}
                strokeOpacity={kept.has(l.run.id) ? 0.7 : 0.35}
                className="parallel-line"
                data-run={l.run.id}
                onPointerEnter={(e) => setHover({ id: l.run.id, x: e.clientX, y: e.clientY })}
                onPointerLeave={() => setHover(null)}
                onClick={() => navigate({ page: 'run', id: l.run.id })}
              />
            ))}
            {hovered && (
              <path d={path(hovered.ps)} stroke={hovered.color} className="parallel-line hovered" />
            )}
          </g>
          {axes.map((axis, i) => (
            <AxisView
              key={`${axis.kind}:${axis.key}`}
              axis={axis}
              x={xs[i]!}
              brush={brushes.get(i)}
              last={i === axes.length - 1}
              onPointerDown={(e) => {
                (e.currentTarget as SVGElement).setPointerCapture(e.pointerId);
                dragging.current = { axis: i, from: pOf(pointerY(e)) };
              }}
              onPointerMove={(e) => {
                const d = dragging.current;
                if (!d || d.axis !== i) return;
                const to = pOf(pointerY(e));
                if (Math.abs(to - d.from) * PLOT_H < 3) return;
                const next = new Map(brushes);
                next.set(i, [Math.min(d.from, to), Math.max(d.from, to)]);
                setBrushes(next);
              }}
              onPointerUp={(e) => {
                const d = dragging.current;
                dragging.current = null;
                if (!d || Math.abs(pOf(pointerY(e)) - d.from) * PLOT_H >= 3) return;
                // A click, not a drag: the axis's range is cleared.
                const next = new Map(brushes);
                next.delete(i);
                setBrushes(next);
              }}
            />
          ))}
        </svg>
      )}
      {hovered && hover && (
        <div className="parallel-tip" style={{ left: hover.x + 12, top: hover.y + 12 }} role="tooltip">
          <strong>{hovered.run.name}</strong>
          {axes.map((a) => {
            const v = a.kind === 'param' ? hovered.run.params[a.key] : hovered.run.metrics[a.key];
            return (
              <div key={`${a.kind}:${a.key}`} className="mono">
                {a.key}: {v === undefined ? '—' : typeof v === 'string' ? v : formatJsonNumber(v)}
              </div>
            );
          })}
        </div>
      )}
      <div className="parallel-foot">
        <span className="muted" data-testid="parallel-kept">
          {brushes.size
            ? `${kept.size.toLocaleString()} of ${runs.length.toLocaleString()} runs inside the ranges`
            : `${runs.length.toLocaleString()} runs; drag along an axis to keep a range`}
          {props.colorBy && ` · coloured by ${props.colorBy}, low `}
          {props.colorBy && <span className="parallel-scale" />}
          {props.colorBy && ' high'}
        </span>
        {brushes.size > 0 && (
          <span className="button-row">
            <button type="button" className="btn btn-small" onClick={() => setBrushes(new Map())}>
              Clear ranges
            </button>
            {kept.size >= 2 && (
              <a
                className="btn btn-small"
                href={href({
                  page: 'runs-compare',
                  ids: runs.filter((r) => kept.has(r.id)).map((r) => r.id),
                })}
              >
                Compare these {kept.size}
              </a>
            )}
          </span>
        )}
      </div>
    </div>
  );
}

function AxisView(props: {
  axis: Axis;
  x: number;
  brush: [number, number] | undefined;
  last: boolean;
  onPointerDown: (e: React.PointerEvent<SVGRectElement>) => void;
  onPointerMove: (e: React.PointerEvent<SVGRectElement>) => void;
  onPointerUp: (e: React.PointerEvent<SVGRectElement>) => void;
}) {
  const { axis, x, brush } = props;
  const ticks: { p: number; label: string }[] =
    axis.scale.type === 'linear'
      ? axis.scale.min === axis.scale.max
        ? [{ p: 0.5, label: formatTick(axis.scale.min) }]
        : [0, 0.5, 1].map((p) => ({
            p,
            label: formatTick(valueAt(axis.scale as { min: number; max: number; log: boolean }, p)),
          }))
      : axis.scale.values.length <= 12
        ? axis.scale.values.map((v, i, all) => ({
            p: all.length === 1 ? 0.5 : i / (all.length - 1),
            label: v,
          }))
        : [
            { p: 0, label: axis.scale.values[0]! },
            { p: 1, label: axis.scale.values.at(-1)! },
          ];
  const anchor = props.last ? 'start' : 'end';
  const dx = props.last ? 6 : -6;
  return (
    <g className={`parallel-axis ${axis.kind}`} data-testid="parallel-axis" data-key={axis.key}>
      <line x1={x} x2={x} y1={M.top} y2={M.top + PLOT_H} />
      <text x={x} y={M.top - 14} textAnchor="middle" className="parallel-title">
        {axis.key.length > 18 ? `${axis.key.slice(0, 17)}…` : axis.key}
        {axis.scale.type === 'linear' && axis.scale.log ? ' (log)' : ''}
        <title>{`${axis.kind} ${axis.key}`}</title>
      </text>
      {ticks.map((t) => (
        <text
          key={`${t.p}:${t.label}`}
          x={x + dx}
          y={yOf(t.p) + 3}
          textAnchor={anchor}
          className="parallel-tick"
        >
          {t.label.length > 12 ? `${t.label.slice(0, 11)}…` : t.label}
        </text>
      ))}
      <text x={x + dx} y={yOf(MISSING) + 3} textAnchor={anchor} className="parallel-tick">
        —
      </text>
      {brush && (
        <rect
          x={x - 7}
          width={14}
          y={yOf(brush[1])}
          height={Math.max(2, yOf(brush[0]) - yOf(brush[1]))}
          className="parallel-brush"
          data-testid="parallel-brush"
        />
      )}
      <rect
        x={x - 12}
        width={24}
        y={M.top - 4}
        height={PLOT_H + 8}
        className="parallel-grip"
        aria-label={`Range of ${axis.key}`}
        onPointerDown={props.onPointerDown}
        onPointerMove={props.onPointerMove}
        onPointerUp={props.onPointerUp}
      />
    </g>
  );
}
