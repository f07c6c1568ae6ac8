/**
 * Adding a retraining policy to a deployment: its name, the alias a new version must take (through
 * that alias's gate), what sets it off (a monitor's alerts, all or some of its rules, and/or a new
 * version of its data), how long to wait between two triggered executions, and, folded away, what
 * it trains and evaluates on when not what made the served version. Opened from the Monitoring
 * page, a deployment's page (that deployment) or a monitor's page (its deployment and alerts).
 * Once added, the policy's page opens; a refusal (no recipe there, no such dataset) shows here.
 */
import { useState } from 'react';
import { derivedName } from '../../../../shared/monitoring.ts';
import { api } from '../../../api/hooks.ts';
import { fieldErrors } from '../../../components/form/fieldErrors.ts';
import { TextField } from '../../../components/form/TextField.tsx';
import { ModalDialog, SubmitFooter } from '../../../components/ModalDialog.tsx';
import { ErrorNotice } from '../../../components/Notice.tsx';
import { href, navigate } from '../../../router.ts';
import { AliasField, CooldownField, PolicyTriggerFields } from './PolicyTriggerFields.tsx';
import {
  initialPolicyForm,
  type PolicyForm,
  type PolicyFormErrors,
  policyParams,
  withServerErrors,
} from './policyForm.ts';
import { TrainingFields } from './TrainingFields.tsx';
import '../monitoring.css';
import './policies.css';

export function AddPolicyDialog(props: { deployment?: string; monitor?: string; onClose(): void }) {
  const deployments = api.deployments.list.useQuery({});
  const add = api.policies.add.useMutation();
  const all = deployments.data ?? [];
  const names = all.map((d) => d.name);
  const [form, setForm] = useState<PolicyForm>(() =>
    initialPolicyForm(props.deployment ?? '', props.monitor),
  );
  const [errors, setErrors] = useState<PolicyFormErrors>({});
  const set = (patch: Partial<PolicyForm>) => setForm((f) => ({ ...f, ...patch }));
  // The only deployment is the one to retrain.
  const deployment = form.deployment || (names.length === 1 ? names[0]! : '');
  const served = all.find((d) => d.name === deployment);
  const server = fieldErrors(add.error, ['name', 'alias', 'recipe', 'datasets', 'params', 'evaluation']);
  const nothingDeployed = deployments.isSuccess && names.length === 0;
  return (
    <ModalDialog
      title="Add retraining policy"
      wide
      onClose={props.onClose}
      onSubmit={() => {
        const r = policyParams({ ...form, deployment });
        if ('errors' in r) return setErrors(r.errors);
        setErrors({});
        add.mutate(r.params, {
          onSuccess: ({ policy }) => navigate({ page: 'policy', name: policy.name }),
        });
      }}
    >
      <div className="dialog-body policy-form" data-testid="add-policy">
        <p className="muted">
          When it is set off, the policy trains a new version on the newest data, registers it, evaluates it,
          moves the alias to it through the alias's gate, and replaces the deployment, health-gated. A version
          the gate refuses never serves.
        </p>
        {nothingDeployed && (
          <div className="notice notice-warning" role="status">
            <div className="notice-text">
              Nothing is deployed yet, so there is nothing to retrain. Deploy a model version first: open it
              on the <a href={href({ page: 'models' })}>Models</a> page and press <strong>Deploy</strong>.
            </div>
          </div>
        )}
        <ErrorNotice error={deployments.error} title="The deployments could not be listed." />
        <div className="monitor-form-row">
          <label className="field">
            <span className="form-label">Deployment</span>
            <select
              className="input"
              aria-label="Deployment to retrain"
              value={deployment}
              aria-invalid={errors.deployment !== undefined}
              onChange={(e) => set({ deployment: e.target.value, monitor: '', rules: [] })}
            >
              <option value="" disabled>
                {deployments.isPending ? 'Loading…' : 'Choose a deployment'}
              </option>
              {/* The one asked for, even before the list arrives. */}
              {(deployment && !names.includes(deployment) ? [deployment, ...names] : names).map((n) => (
                <option key={n}>{n}</option>
              ))}
            </select>
            {errors.deployment ? (
              <span className="field-error">{errors.deployment}</span>
            ) : (
              served && (
                <span className="muted small">
                  Serves {served.model} v{served.version}
                  {served.alias ? ` (${served.alias})` : ''}.
                </span>
              )
            )}
          </label>
          <TextField
            label="Name (optional)"
            aria="Policy name"
            value={form.name}
            onChange={(name) => set({ name })}
            placeholder={deployment ? derivedName(deployment, 'retrain') : 'DEPLOYMENT-retrain'}
            error={errors.name ?? server.fields.name}
            mono
          />
        </div>
        <div className="monitor-form-row">
          <AliasField
            form={form}
            error={errors.alias ?? server.fields.alias}
            set={set}
            blank={{ alias: served?.alias ?? 'champion', deployments: Boolean(served?.alias) }}
          />
          <CooldownField form={form} errors={errors} set={set} />
        </div>
        <PolicyTriggerFields deployment={deployment} form={form} errors={errors} set={set} />
        <TrainingFields
          served={served ? { model: served.model, version: served.version } : null}
          form={form}
          errors={withServerErrors(errors, server.fields)}
          set={set}
        />
        <ErrorNotice error={server.rest} title="Not added." intoView />
      </div>
      <SubmitFooter
        onCancel={props.onClose}
        pending={add.isPending}
        disabled={nothingDeployed}
        label="Add policy"
        pendingLabel="Adding…"
      />
    </ModalDialog>
  );
}
