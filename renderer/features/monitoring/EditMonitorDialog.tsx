/**
 * Changing a monitor in place: the same fields as adding one, filled with what it has. Saving
 * replaces its settings; alerts of rules it no longer checks are resolved, and the dialog says
 * which before it closes. Its checks and alerts stay.
 */
import { useState } from 'react';
import type { Monitor } from '../../../shared/monitoring.ts';
import { api } from '../../api/hooks.ts';
import { ModalDialog, SubmitFooter } from '../../components/ModalDialog.tsx';
import { ErrorNotice } from '../../components/Notice.tsx';
import { MonitorFields } from './MonitorFields.tsx';
import {
  formOfMonitor,
  type MonitorForm,
  type MonitorFormErrors,
  monitorUpdateParams,
} from './monitorForm.ts';
import './monitoring.css';

export function EditMonitorDialog(props: { monitor: Monitor; onClose(): void }) {
  const update = api.monitors.update.useMutation();
  const [form, setForm] = useState<MonitorForm>(() => formOfMonitor(props.monitor));
  const [errors, setErrors] = useState<MonitorFormErrors>({});
  const set = (patch: Partial<MonitorForm>) => setForm((f) => ({ ...f, ...patch }));
  const resolved = update.data?.resolved;
  return (
    <ModalDialog
      title={`Edit ${props.monitor.name}`}
      wide
      onClose={props.onClose}
      onSubmit={() => {
        if (resolved) return props.onClose();
        const r = monitorUpdateParams(form);
        if ('errors' in r) return setErrors(r.errors);
        setErrors({});
        update.mutate(r.params, {
          // Nothing else to say: done. Resolved alerts are said before closing.
          onSuccess: (done) => {
            if (done.resolved.length === 0) props.onClose();
          },
        });
      }}
    >
      <div className="dialog-body monitor-form" data-testid="edit-monitor">
        <p className="muted">
          Watches <strong>{props.monitor.deployment}</strong>. Its checks and alerts stay; the next check uses
          these settings.
        </p>
        {/* Saved: what it resolved is said, and nothing more is edited here. */}
        {!resolved && <MonitorFields form={form} set={set} errors={errors} />}
        <ErrorNotice error={update.error} title="Not saved." />
        {resolved && resolved.length > 0 && (
          <div className="notice notice-success" role="status">
            <div className="notice-text">
              Saved. {resolved.length === 1 ? 'This alert was' : 'These alerts were'} resolved, as the monitor
              no longer checks {resolved.length === 1 ? 'its rule' : 'their rules'}:{' '}
              {resolved.map((r, i) => (
                <span key={r}>
                  {i > 0 && ', '}
                  <code>{r}</code>
                </span>
              ))}
              .
            </div>
          </div>
        )}
      </div>
      {resolved ? (
        <footer className="dialog-footer">
          <button type="submit" className="btn btn-primary">
            Close
          </button>
        </footer>
      ) : (
        <SubmitFooter
          onCancel={props.onClose}
          pending={update.isPending}
          label="Save"
          pendingLabel="Saving…"
        />
      )}
    </ModalDialog>
  );
}
