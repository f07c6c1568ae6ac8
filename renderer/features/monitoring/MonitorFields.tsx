/**
 * A monitor's settings in a form, shared by the Add monitor and Edit monitor dialogs: the window
 * of traffic each check reads, how often the app checks it, the drift test (against the model's
 * training data found through its lineage, or a reference named here) and rules, one a line, each
 * read as it is typed with its message beside it. The metrics rules can name are listed, and a
 * click starts a rule with one.
 */
import { MONITOR_METRICS, monitorMetricNames } from '../../../shared/monitoring.ts';
import { TextField } from '../../components/form/TextField.tsx';
import { type MonitorForm, type MonitorFormErrors, ruleLines } from './monitorForm.ts';

export function MonitorFields(props: {
  form: MonitorForm;
  set(patch: Partial<MonitorForm>): void;
  errors: MonitorFormErrors;
}) {
  const { form, set, errors } = props;
  const lines = ruleLines(form.rules);
  const addRule = (metric: string) =>
    set({ rules: `${form.rules.replace(/\s+$/, '')}${form.rules.trim() ? '\n' : ''}${metric} ` });
  return (
    <>
      <div className="monitor-form-row monitor-form-row-3">
        <TextField
          label="Window"
          aria="Window"
          value={form.window}
          onChange={(window) => set({ window })}
          error={errors.window}
          hint="Each check reads this much recent traffic: 15m, 1h, 1d."
          mono
        />
        <TextField
          label="Check every"
          aria="Check every"
          value={form.every}
          onChange={(every) => set({ every })}
          error={errors.every}
          hint="The app checks it on its own; 0: only with Check now."
          mono
        />
        <TextField
          label="Min rows"
          aria="Min rows"
          value={form.minRows}
          onChange={(minRows) => set({ minRows })}
          error={errors.minRows}
          hint="Fewer rows in a window: drift is not tested."
          mono
        />
      </div>
      <fieldset className="monitor-form-section">
        <legend>
          <label className="mon-check">
            <input type="checkbox" checked={form.drift} onChange={(e) => set({ drift: e.target.checked })} />
            Test the window's features for drift
          </label>
        </legend>
        {form.drift && (
          <div className="monitor-form-row monitor-form-row-drift">
            <TextField
              label="Dataset drift at"
              aria="Drift share"
              value={form.driftShare}
              onChange={(driftShare) => set({ driftShare })}
              error={errors.driftShare}
              hint="of the features drifted: 0.5 or 50%."
              mono
            />
            <TextField
              label="Reference (optional)"
              aria="Reference"
              value={form.reference}
              onChange={(reference) => set({ reference })}
              error={errors.reference}
              placeholder="the model's training data, through its lineage"
              hint={
                <>
                  Or a dataset version: <code>dataset:NAME@V</code>, <code>dataset:NAME@V:PATH</code>.
                </>
              }
              mono
            />
          </div>
        )}
      </fieldset>
      <fieldset className="monitor-form-section">
        <legend>Rules {form.drift ? '(optional)' : ''}</legend>
        <div className="monitor-rules">
          <div className="field">
            <textarea
              className="input rules-box mono"
              aria-label="Rules"
              aria-invalid={errors.rules !== undefined}
              rows={4}
              value={form.rules}
              placeholder={'error_rate < 0.05\np95_latency_ms < 250\naccuracy >= 0.9'}
              onChange={(e) => set({ rules: e.target.value })}
            />
            <span className="muted small">
              One a line: METRIC OP NUMBER. A rule that does not hold fires an alert.
            </span>
            {lines.length > 0 && (
              <ul className="rule-lines" data-testid="rule-lines">
                {lines.map((l) => (
                  <li key={l.line} className={l.error ? 'rule-line-bad' : 'rule-line-ok'}>
                    <span aria-hidden="true">{l.error ? '✕' : '✓'}</span>{' '}
                    {l.error ? (
                      <>
                        Line {l.line}: {l.error}
                      </>
                    ) : (
                      <span className="mono">{l.rule!.text}</span>
                    )}
                  </li>
                ))}
              </ul>
            )}
            {errors.rules && !lines.some((l) => l.error) && (
              <span className="field-error">{errors.rules}</span>
            )}
          </div>
          <div className="metric-list">
            <span className="form-label">Metrics</span>
            <div className="metric-chips">
              {monitorMetricNames.map((m) => (
                <button
                  key={m}
                  type="button"
                  className="metric-chip mono"
                  title={MONITOR_METRICS[m]}
                  onClick={() => addRule(m)}
                >
                  {m}
                </button>
              ))}
            </div>
            <span className="muted small">Hover one for what it measures; click it to start a rule.</span>
          </div>
        </div>
      </fieldset>
    </>
  );
}
