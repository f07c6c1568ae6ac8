/**
 * The charts of one evaluation: for a classifier the confusion matrix, ROC and precision–recall
 * curves (one per class, one-vs-rest, for several classes) and, for a binary one, the calibration
 * curve; for a regression model the residual histogram and predicted against actual.
 */
import { useMemo } from 'react';
import type { EvaluationResult } from '../../../shared/evaluation.ts';
import { AXIS, Plot } from '../../components/Plot.tsx';
import { SERIES_COLORS } from '../runs/MetricChart.tsx';

const H = 240;
const num = (v: number | string) => (typeof v === 'number' ? v : null);

export function EvaluationCharts(props: { result: EvaluationResult }) {
  const r = props.result;
  return (
    <div className="eval-charts" data-testid="evaluation-charts">
      {r.task === 'classification' ? <ClassificationCharts result={r} /> : <RegressionCharts result={r} />}
    </div>
  );
}

function ClassificationCharts(props: { result: Extract<EvaluationResult, { task: 'classification' }> }) {
  const r = props.result;
  const figures = useMemo(() => {
    const cm = r.confusionMatrix;
    const diagonal = {
      x: [0, 1],
      y: [0, 1],
      type: 'scatter' as const,
      mode: 'lines' as const,
      line: { color: '#c9ced6', dash: 'dot' as const },
      showlegend: false,
      hoverinfo: 'skip' as const,
    };
    return {
      confusion: {
        data: [
          {
            type: 'heatmap' as const,
            z: cm.matrix,
            x: cm.labels,
            y: cm.labels,
            colorscale: [
              [0, '#f5f8fe'],
              [1, '#2f6fde'],
            ],
            showscale: false,
            text: cm.matrix.map((row) => row.map(String)),
            texttemplate: '%{text}',
            hovertemplate: 'true %{y}, predicted %{x}: %{z}<extra></extra>',
          },
        ],
        layout: {
          margin: { l: 88, r: 12, t: 8, b: 44 },
          xaxis: { ...AXIS, title: { text: 'predicted' }, type: 'category' as const },
          yaxis: {
            ...AXIS,
            title: { text: 'true' },
            type: 'category' as const,
            autorange: 'reversed' as const,
          },
        },
      },
      roc: {
        data: [
          diagonal,
          ...r.roc.map((c, i) => ({
            type: 'scatter' as const,
            mode: 'lines' as const,
            name: `${c.class} (AUC ${typeof c.auc === 'number' ? c.auc.toFixed(3) : c.auc})`,
            x: c.fpr.map(num),
            y: c.tpr.map(num),
            line: { color: SERIES_COLORS[i % SERIES_COLORS.length], width: 1.8 },
          })),
        ],
        layout: {
          xaxis: { ...AXIS, title: { text: 'false positive rate' }, range: [0, 1] },
          yaxis: { ...AXIS, title: { text: 'true positive rate' }, range: [0, 1.02] },
          showlegend: r.roc.length > 0,
        },
      },
      pr: {
        data: r.pr.map((c, i) => ({
          type: 'scatter' as const,
          mode: 'lines' as const,
          name: c.class,
          x: c.recall.map(num),
          y: c.precision.map(num),
          line: { color: SERIES_COLORS[i % SERIES_COLORS.length], width: 1.8, shape: 'hv' as const },
        })),
        layout: {
          xaxis: { ...AXIS, title: { text: 'recall' }, range: [0, 1] },
          yaxis: { ...AXIS, title: { text: 'precision' }, range: [0, 1.02] },
          showlegend: r.pr.length > 1,
          legend: {
            x: 0.02,
            xanchor: 'left' as const,
            y: 0.04,
            yanchor: 'bottom' as const,
            bgcolor: 'rgba(255,255,255,0.8)',
          },
        },
      },
      calibration: r.calibration && {
        data: [
          diagonal,
          {
            type: 'scatter' as const,
            mode: 'lines+markers' as const,
            name: 'model',
            x: r.calibration.probPred.map(num),
            y: r.calibration.probTrue.map(num),
            line: { color: SERIES_COLORS[0], width: 1.8 },
          },
        ],
        layout: {
          xaxis: { ...AXIS, title: { text: 'mean predicted probability' }, range: [0, 1] },
          yaxis: { ...AXIS, title: { text: 'fraction of positives' }, range: [0, 1] },
          showlegend: false,
        },
      },
    };
  }, [r]);
  return (
    <>
      <Chart title="Confusion matrix" figure={figures.confusion} />
      {r.roc.length > 0 ? (
        <>
          <Chart title="ROC curve" figure={figures.roc} />
          <Chart title="Precision–recall curve" figure={figures.pr} />
        </>
      ) : (
        <p className="muted">No ROC or precision–recall curve: the model gives labels, not probabilities.</p>
      )}
      {figures.calibration && <Chart title="Calibration" figure={figures.calibration} />}
    </>
  );
}

function RegressionCharts(props: { result: Extract<EvaluationResult, { task: 'regression' }> }) {
  const r = props.result;
  const figures = useMemo(() => {
    const edges = r.residualHistogram.edges.map(num) as number[];
    const centers = edges.slice(0, -1).map((e, i) => (e + edges[i + 1]!) / 2);
    const actual = r.predictedVsActual.actual.map(num).filter((v): v is number => v !== null);
    const lo = Math.min(...actual);
    const hi = Math.max(...actual);
    return {
      residuals: {
        data: [
          {
            type: 'bar' as const,
            x: centers,
            y: r.residualHistogram.counts,
            marker: { color: SERIES_COLORS[0] },
            hovertemplate: 'residual ≈ %{x:.4g}: %{y}<extra></extra>',
          },
        ],
        layout: {
          bargap: 0.02,
          xaxis: { ...AXIS, title: { text: 'residual (actual − predicted)' } },
          yaxis: { ...AXIS, title: { text: 'rows' } },
        },
      },
      scatter: {
        data: [
          {
            type: 'scatter' as const,
            mode: 'lines' as const,
            x: [lo, hi],
            y: [lo, hi],
            line: { color: '#c9ced6', dash: 'dot' as const },
            showlegend: false,
            hoverinfo: 'skip' as const,
          },
          {
            type: 'scatter' as const,
            mode: 'markers' as const,
            x: r.predictedVsActual.actual.map(num),
            y: r.predictedVsActual.predicted.map(num),
            marker: { color: SERIES_COLORS[0], size: 4, opacity: 0.5 },
            hovertemplate: 'actual %{x:.4g}, predicted %{y:.4g}<extra></extra>',
          },
        ],
        layout: {
          xaxis: { ...AXIS, title: { text: 'actual' } },
          yaxis: { ...AXIS, title: { text: 'predicted' } },
          showlegend: false,
        },
      },
    };
  }, [r]);
  return (
    <>
      <Chart title="Residuals" figure={figures.residuals} />
      <Chart title="Predicted against actual" figure={figures.scatter} />
    </>
  );
}

function Chart(props: { title: string; figure: { data: unknown[]; layout: object } }) {
  return (
    <div className="eval-chart">
      <h4>{props.title}</h4>
      <Plot
        label={props.title}
        testId="evaluation-chart"
        data={props.figure.data as never}
        layout={props.figure.layout as never}
        height={H}
      />
    </div>
  );
}
