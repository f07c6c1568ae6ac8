/**
 * The policy dialogs' triggers — a monitor's alerts (one of the monitors that watch the
 * deployment; any of its alerts, or only those of the rules ticked, dataset drift among them)
 * and/or a new version of any dataset the recipe reads; neither: it retrains only by hand — and
 * the fields both dialogs share: the alias to promote and the cooldown between two executions.
 */
import { api } from '../../../api/hooks.ts';
import { TextField } from '../../../components/form/TextField.tsx';
import { ErrorNotice } from '../../../components/Notice.tsx';
import { href } from '../../../router.ts';
import { alertRules, type PolicyForm, type PolicyFormErrors } from './policyForm.ts';
import '../monitoring.css';
import './policies.css';

export function PolicyTriggerFields(props: {
  deployment: string;
  form: PolicyForm;
  errors: PolicyFormErrors;
  set(patch: Partial<PolicyForm>): void;
}) {
  const { form, set, errors } = props;
  const monitors = api.monitors.list.useQuery({});
  const mine = (monitors.data?.monitors ?? []).filter((m) => m.deployment === props.deployment);
  const chosen = mine.find((m) => m.name === form.monitor);
  const rules = alertRules(chosen);
  const toggleRule = (rule: string, on: boolean) =>
    set({ rules: on ? [...form.rules, rule] : form.rules.filter((r) => r !== rule) });
  return (
    <fieldset className="monitor-form-section" data-testid="policy-triggers">
      <legend>Retrain when</legend>
      <label className="mon-check">
        <input
          type="checkbox"
          aria-label="When a monitor alerts"
          checked={form.onAlerts}
          onChange={(e) =>
            set({
              onAlerts: e.target.checked,
              // The only monitor of the deployment is the one meant.
              monitor: form.monitor || (mine.length === 1 ? mine[0]!.name : ''),
            })
          }
        />
        a monitor of the deployment fires an alert
      </label>
      {form.onAlerts && (
        <div className="trigger-detail">
          <ErrorNotice error={monitors.error} title="The monitors could not be listed." />
          {monitors.isSuccess && props.deployment && mine.length === 0 ? (
            <p className="field-error" role="status">
              No monitor watches {props.deployment} yet.{' '}
              <a href={href({ page: 'deployment', name: props.deployment })}>Add one on its page</a>, or
              retrain on new data only.
            </p>
          ) : (
            <>
              <label className="field trigger-monitor">
                <span className="form-label">Monitor</span>
                <select
                  className="input"
                  aria-label="Monitor"
                  value={form.monitor}
                  aria-invalid={errors.monitor !== undefined}
                  onChange={(e) => set({ monitor: e.target.value, rules: [] })}
                >
                  <option value="" disabled>
                    {props.deployment ? 'Choose a monitor' : 'Choose the deployment first'}
                  </option>
                  {mine.map((m) => (
                    <option key={m.name}>{m.name}</option>
                  ))}
                </select>
                {errors.monitor && <span className="field-error">{errors.monitor}</span>}
              </label>
              {chosen && (
                <div className="rule-scope" role="radiogroup" aria-label="Which alerts">
                  <label className="mon-check">
                    <input
                      type="radio"
                      name="rule-scope"
                      checked={form.ruleScope === 'any'}
                      onChange={() => set({ ruleScope: 'any' })}
                    />
                    any of its alerts
                  </label>
                  <label className="mon-check">
                    <input
                      type="radio"
                      name="rule-scope"
                      checked={form.ruleScope === 'some'}
                      onChange={() => set({ ruleScope: 'some' })}
                    />
                    only the alerts of these rules:
                  </label>
                  {form.ruleScope === 'some' && (
                    <div className="rule-picks">
                      {rules.map((r) => (
                        <label key={r} className="mon-check">
                          <input
                            type="checkbox"
                            checked={form.rules.includes(r)}
                            onChange={(e) => toggleRule(r, e.target.checked)}
                          />
                          <span className="mono">{r}</span>
                        </label>
                      ))}
                      {errors.rules && <span className="field-error">{errors.rules}</span>}
                    </div>
                  )}
                </div>
              )}
            </>
          )}
        </div>
      )}
      <label className="mon-check">
        <input
          type="checkbox"
          aria-label="When its data gets a new version"
          checked={form.newData}
          onChange={(e) => set({ newData: e.target.checked })}
        />
        a dataset it trains on gets a new version
      </label>
      {!form.onAlerts && !form.newData && (
        <p className="muted small">Neither: it retrains only when you press Retrain now.</p>
      )}
    </fieldset>
  );
}

/**
 * The alias the new version is promoted to. `blank` is what an empty field means (a new policy's
 * default), said in the hint; editing, there is none.
 */
export function AliasField(props: {
  form: PolicyForm;
  error: string | undefined;
  set(patch: Partial<PolicyForm>): void;
  blank?: { alias: string; deployments: boolean };
}) {
  const gate = "The new version takes it only if the alias's gate lets it.";
  const blank = props.blank;
  return (
    <TextField
      label="Alias to promote"
      aria="Alias"
      value={props.form.alias}
      onChange={(alias) => props.set({ alias })}
      placeholder={blank?.alias}
      error={props.error}
      hint={
        blank ? (
          <>
            {gate} Blank: <code>{blank.alias}</code>
            {blank.deployments ? ", the deployment's alias." : '.'}
          </>
        ) : (
          gate
        )
      }
      mono
    />
  );
}

/** How long between two triggered executions, as a duration. */
export function CooldownField(props: {
  form: PolicyForm;
  errors: PolicyFormErrors;
  set(patch: Partial<PolicyForm>): void;
}) {
  return (
    <TextField
      label="Cooldown"
      aria="Cooldown"
      value={props.form.cooldown}
      onChange={(cooldown) => props.set({ cooldown })}
      error={props.errors.cooldown}
      hint="At least this long between two triggered executions: 30m, 1h, 1d."
      mono
    />
  );
}
