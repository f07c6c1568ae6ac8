/**
 * Adding a monitor to a deployment: the window of traffic each check reads, how often the app
 * checks it, the drift test (against the model's training data found through its lineage, or a
 * reference named here) and rules, one a line, each read as it is typed with its message beside
 * it. The metrics rules can name are listed, and a click starts a rule with one. Once added, the
 * monitor's page opens.
 */
import { useState } from 'react';
import { derivedName } from '../../../shared/monitoring.ts';
import { api } from '../../api/hooks.ts';
import { fieldErrors } from '../../components/form/fieldErrors.ts';
import { TextField } from '../../components/form/TextField.tsx';
import { ModalDialog, SubmitFooter } from '../../components/ModalDialog.tsx';
import { ErrorNotice } from '../../components/Notice.tsx';
import { href, navigate } from '../../router.ts';
import { MonitorFields } from './MonitorFields.tsx';
import {
  initialMonitorForm,
  type MonitorForm,
  type MonitorFormErrors,
  monitorParams,
} from './monitorForm.ts';
import './monitoring.css';

export function AddMonitorDialog(props: { deployment?: string; onClose(): void }) {
  const deployments = api.deployments.list.useQuery({});
  const add = api.monitors.add.useMutation();
  const names = (deployments.data ?? []).map((d) => d.name);
  const [form, setForm] = useState<MonitorForm>(() => initialMonitorForm(props.deployment ?? ''));
  const [errors, setErrors] = useState<MonitorFormErrors>({});
  const set = (patch: Partial<MonitorForm>) => setForm((f) => ({ ...f, ...patch }));
  // The only deployment is the one to watch.
  const deployment = form.deployment || (names.length === 1 ? names[0]! : '');
  const server = fieldErrors(add.error, ['name']);
  const nothingDeployed = deployments.isSuccess && names.length === 0;
  return (
    <ModalDialog
      title="Add monitor"
      wide
      onClose={props.onClose}
      onSubmit={() => {
        const r = monitorParams({ ...form, deployment });
        if ('errors' in r) return setErrors(r.errors);
        setErrors({});
        add.mutate(r.params, {
          onSuccess: ({ monitor }) => navigate({ page: 'monitor', name: monitor.name }),
        });
      }}
    >
      <div className="dialog-body monitor-form" data-testid="add-monitor">
        {nothingDeployed && (
          <div className="notice notice-warning" role="status">
            <div className="notice-text">
              Nothing is deployed yet, so there is no traffic to watch. Deploy a model version first: open it
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
              aria-label="Deployment to watch"
              value={deployment}
              aria-invalid={errors.deployment !== undefined}
              onChange={(e) => set({ deployment: e.target.value })}
            >
              <option value="" disabled>
                {deployments.isPending ? 'Loading…' : 'Choose a deployment'}
              </option>
              {/* The one asked for, even before the list arrives. */}
              {(deployment && !names.includes(deployment) ? [deployment, ...names] : names).map((n) => (
                <option key={n}>{n}</option>
              ))}
            </select>
            {errors.deployment && <span className="field-error">{errors.deployment}</span>}
          </label>
          <TextField
            label="Name (optional)"
            aria="Monitor name"
            value={form.name}
            onChange={(name) => set({ name })}
            placeholder={deployment ? derivedName(deployment, 'monitor') : 'DEPLOYMENT-monitor'}
            error={errors.name ?? server.fields.name}
            mono
          />
        </div>
        <MonitorFields form={form} set={set} errors={errors} />
        <ErrorNotice error={server.rest} title="Not added." />
      </div>
      <SubmitFooter
        onCancel={props.onClose}
        pending={add.isPending}
        disabled={nothingDeployed}
        label="Add monitor"
        pendingLabel="Adding…"
      />
    </ModalDialog>
  );
}
