/**
 * Runs as lines across one axis per differing param and per metric, coloured by the rightmost
 * metric: the view a sweep of hundreds of runs is read in. Drag along an axis to keep only the runs
 * inside that range (on several axes: inside all of them); a click on the axis clears it. A line
 * under the pointer is named; a click on it opens its run.
 */
import { memo, useMemo, useRef, useState } from 'react';
import type { RunSummary } from '../../../shared/tracking.ts';
import { useContainerWidth } from '../../components/Plot.tsx';
import { formatJsonNumber } from '../../format.ts';
import { href, navigate } from '../../router.ts';
import {
  type Axis,
  type Brush,
  brushOf,
  brushSpan,
  chooseAxes,
  formatTick,
  keptBy,
  MISSING,
  position,
  valueAt,
} from './parallelAxes.ts';
import './RunsComparePage.css';

const HEIGHT = 320;
const M = { left: 44, right: 56, top: 34, bottom: 34 };
const PLOT_H = HEIGHT - M.top - M.bottom;
/** A drag shorter than this is a click: it clears the axis's range. */
const CLICK_PX = 3;

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

interface Line {
  run: RunSummary;
  d: string;
  color: string;
}

export function ParallelCoordinates(props: {
  runs: RunSummary[];
  metrics: string[];
  colorBy: string | undefined;
}) {
  const { runs, colorBy } = props;
  const el = useRef<HTMLDivElement>(null);
  const width = useContainerWidth(el, true);
  const axes = useMemo(() => chooseAxes(runs, props.metrics, colorBy), [runs, props.metrics, colorBy]);
  // Ranges by axis id, in values: they keep selecting the same runs while live runs move the ends.
  const [brushes, setBrushes] = useState<Map<string, Brush>>(new Map());
  const [hover, setHover] = useState<{ id: string; x: number; y: number } | null>(null);
  const dragging = useRef<{ axis: Axis; from: number } | null>(null);

  const xs = useMemo(
    () =>
      axes.map((_, i) =>
        axes.length === 1 ? width / 2 : M.left + (i * (width - M.left - M.right)) / (axes.length - 1),
      ),
    [axes, width],
  );
  const lines = useMemo(
    () =>
      runs.map((run): Line => {
        const ps = axes.map((a) => position(run, a));
        const d = ps.map((p, i) => `${i ? 'L' : 'M'}${xs[i]!.toFixed(1)},${yOf(p).toFixed(1)}`).join('');
        return { run, d, color: colorAt(ps.at(-1) ?? MISSING) };
      }),
    [runs, axes, xs],
  );
  const kept = useMemo(() => keptBy(runs, axes, brushes), [runs, axes, brushes]);
  const brushed = axes.filter((a) => brushes.has(a.id)).length;
  const hovered = hover ? lines.find((l) => l.run.id === hover.id) : undefined;

  /** The pointer's height in the figure's own coordinates. */
  const pointerY = (e: React.PointerEvent<SVGRectElement>) =>
    e.clientY - (e.currentTarget.ownerSVGElement ?? e.currentTarget).getBoundingClientRect().top;
  const setBrush = (axis: Axis, brush: Brush | undefined) => {
    const next = new Map(brushes);
    if (brush) next.set(axis.id, brush);
    else next.delete(axis.id);
    setBrushes(next);
  };
  const endDrag = () => {
    dragging.current = null;
  };

  return (
    <div ref={el} className="parallel" data-testid="parallel-coordinates" data-kept={kept.size}>
      {axes.length < 2 ? (
        <p className="muted" data-testid="parallel-empty">
          {axes.length === 0
            ? 'These runs differ in no param and have no metrics yet: there is nothing to lay out on axes.'
            : `Only ${axes[0]!.kind === 'param' ? 'one param differs' : 'one metric is logged'} (${axes[0]!.key}): axes need two.`}
        </p>
      ) : (
        width > 0 && (
          <svg
            width={width}
            height={HEIGHT}
            aria-label={`${runs.length} runs across ${axes.length} params and metrics`}
          >
            <Lines
              lines={lines}
              kept={kept}
              brushed={brushed > 0}
              onHover={(id, x, y) => setHover(id ? { id, x, y } : null)}
            />
            {hovered && <path d={hovered.d} stroke={hovered.color} className="parallel-line hovered" />}
            {axes.map((axis, i) => (
              <AxisView
                key={axis.id}
                axis={axis}
                x={xs[i]!}
                brush={brushes.get(axis.id)}
                last={i === axes.length - 1}
                onPointerDown={(e) => {
                  if (e.button !== 0) return;
                  e.currentTarget.setPointerCapture(e.pointerId);
                  dragging.current = { axis, from: pointerY(e) };
                }}
                onPointerMove={(e) => {
                  const d = dragging.current;
                  if (!d || d.axis.id !== axis.id || !(e.buttons & 1)) return;
                  const y = pointerY(e);
                  if (Math.abs(y - d.from) < CLICK_PX) return;
                  setBrush(axis, brushOf(axis, pOf(d.from), pOf(y)));
                }}
                onPointerUp={(e) => {
                  const d = dragging.current;
                  endDrag();
                  // A click, not a drag: the axis's range is cleared.
                  if (d && d.axis.id === axis.id && Math.abs(pointerY(e) - d.from) < CLICK_PX)
                    setBrush(axis, undefined);
                }}
                onPointerCancel={endDrag}
              />
            ))}
          </svg>
        )
      )}
      {hovered && hover && (
        <div
          className="parallel-tip"
          style={{
            left: Math.min(hover.x + 12, window.innerWidth - 330),
            top: Math.min(hover.y + 12, window.innerHeight - 40 - 18 * axes.length),
          }}
          role="tooltip"
        >
          <strong>{hovered.run.name}</strong>
          {axes.map((a) => {
            const v = a.kind === 'param' ? hovered.run.params[a.key] : hovered.run.metrics[a.key];
            return (
              <div key={a.id} className="mono">
                {a.key}: {v === undefined ? '—' : typeof v === 'string' ? v : formatJsonNumber(v)}
              </div>
            );
          })}
        </div>
      )}
      {axes.length >= 2 && (
        <div className="parallel-foot">
          <span className="muted" data-testid="parallel-kept">
            {brushed
              ? `${kept.size.toLocaleString()} of ${runs.length.toLocaleString()} runs inside the ranges (a run without a value on a ranged axis is not)`
              : `${runs.length.toLocaleString()} runs; drag along an axis to keep a range`}
            {colorBy && ` · coloured by ${colorBy}, low `}
            {colorBy && <span className="parallel-scale" />}
            {colorBy && ' high'}
          </span>
          {brushed > 0 && (
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
                    metric: colorBy,
                  })}
                >
                  Compare these {kept.size}
                </a>
              )}
            </span>
          )}
        </div>
      )}
    </div>
  );
}

/**
 * Every run's line, drawn again only when the lines or what is kept change, not on each hover:
 * one listener on the group finds the line under the pointer by its `data-run`. Kept lines are
 * drawn last, over the others.
 */
const Lines = memo(function Lines(props: {
  lines: Line[];
  kept: Set<string>;
  brushed: boolean;
  onHover: (id: string | null, x: number, y: number) => void;
}) {
  const { lines, kept, brushed } = props;
  const ordered = brushed
    ? [...lines].sort((a, b) => Number(kept.has(a.run.id)) - Number(kept.has(b.run.id)))
    : lines;
  const runOf = (e: React.PointerEvent | React.MouseEvent) => (e.target as Element).getAttribute('data-run');
  return (
    // Each run also has its link in the table above: that is the keyboard's way to it.
    <g
      className="parallel-lines"
      onPointerOver={(e) => props.onHover(runOf(e), e.clientX, e.clientY)}
      onPointerLeave={(e) => props.onHover(null, e.clientX, e.clientY)}
      onClick={(e) => {
        const id = runOf(e);
        if (id) navigate({ page: 'run', id });
      }}
    >
      {ordered.map((l) => {
        const inside = !brushed || kept.has(l.run.id);
        return (
          <path
            key={l.run.id}
            d={l.d}
            stroke={inside ? l.color : '#d5d9df'}
            strokeOpacity={inside ? 0.7 : 0.35}
            className="parallel-line"
            data-run={l.run.id}
          />
        );
      })}
    </g>
  );
});

function AxisView(props: {
  axis: Axis;
  x: number;
  brush: Brush | undefined;
  last: boolean;
  onPointerDown: (e: React.PointerEvent<SVGRectElement>) => void;
  onPointerMove: (e: React.PointerEvent<SVGRectElement>) => void;
  onPointerUp: (e: React.PointerEvent<SVGRectElement>) => void;
  onPointerCancel: () => void;
}) {
  const { axis, x } = props;
  const scale = axis.scale;
  const ticks: { p: number; label: string }[] =
    scale.type === 'linear'
      ? scale.min === scale.max
        ? [{ p: 0.5, label: formatTick(scale.min) }]
        : [0, 0.5, 1].map((p) => ({ p, label: formatTick(valueAt(scale, p)) }))
      : scale.values.length <= 12
        ? scale.values.map((v, i, all) => ({ p: all.length === 1 ? 0.5 : i / (all.length - 1), label: v }))
        : [
            { p: 0, label: scale.values[0]! },
            { p: 1, label: scale.values.at(-1)! },
          ];
  const span = props.brush ? brushSpan(axis, props.brush) : undefined;
  const anchor = props.last ? 'start' : 'end';
  const dx = props.last ? 6 : -6;
  return (
    <g className={`parallel-axis ${axis.kind}`} data-testid="parallel-axis" data-key={axis.key}>
      <line x1={x} x2={x} y1={M.top} y2={M.top + PLOT_H} />
      <text x={x} y={M.top - 14} textAnchor="middle" className="parallel-title">
        {axis.key.length > 18 ? `${axis.key.slice(0, 17)}…` : axis.key}
        {scale.type === 'linear' && scale.log ? ' (log)' : ''}
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
      {span && (
        <rect
          x={x - 7}
          width={14}
          y={yOf(span[1])}
          height={Math.max(2, yOf(span[0]) - yOf(span[1]))}
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
        onPointerCancel={props.onPointerCancel}
        onLostPointerCapture={props.onPointerCancel}
      />
    </g>
  );
}
