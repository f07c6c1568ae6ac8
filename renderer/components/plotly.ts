/**
 * plotly.js, loaded on first use: it is large, so no page pays for it until a chart is drawn. It
 * draws static SVG, which the strict CSP allows (no eval, inline styles only).
 */
type PlotlyModule = typeof import('plotly.js-dist-min');

let plotly: Promise<PlotlyModule> | undefined;

export function loadPlotly(): Promise<PlotlyModule> {
  plotly ??= import('plotly.js-dist-min').then(
    // The pre-bundled file is CommonJS: its API may sit on `default`.
    (mod) => (mod as unknown as { default?: PlotlyModule }).default ?? mod,
  );
  return plotly;
}
