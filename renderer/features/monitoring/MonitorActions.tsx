/**
 * Check now (a long operation: its phases, a bar and Cancel, or why it failed), Edit (its settings
 * in place), Pause or Resume (the app's scheduled checks), and Remove, which asks first. Removing
 * takes the monitor's checks and alerts with it, then opens Monitoring.
 */

import type { UseMutationResult } from '@tanstack/react-query';
import { useState } from 'react';
import type { Monitor } from '../../../shared/monitoring.ts';
import type { ApiError } from '../../api/apiError.ts';
import { api } from '../../api/hooks.ts';
import { ConfirmRemove } from '../../components/ConfirmRemove.tsx';
import { ErrorNotice } from '../../components/Notice.tsx';
import { OperationProgress } from '../../components/OperationProgress.tsx';
import { EditMonitorDialog } from './EditMonitorDialog.tsx';
import { PauseButton } from './PauseButton.tsx';

export type RemoveMonitor = UseMutationResult<{ removed: boolean }, ApiError, { name: string }>;

export function MonitorActions(props: { monitor: Monitor; checks: number; remove: RemoveMonitor }) {
  const m = props.monitor;
  const check = api.monitors.run.useOperation();
  const update = api.monitors.update.useMutation();
  const [confirming, setConfirming] = useState(false);
  const [editing, setEditing] = useState(false);
  const checking = check.state.status === 'running';
  const removing = props.remove.isPending || props.remove.isSuccess;
  return (
    <div className="mon-actions">
      <div className="button-row">
        <button
          type="button"
          className="btn btn-primary"
          disabled={checking || removing}
          title="Reads the newest requests and checks the last window now"
          onClick={() => void check.start({ name: m.name })}
        >
          {checking ? 'Checking…' : 'Check now'}
        </button>
        <button type="button" className="btn" disabled={removing} onClick={() => setEditing(true)}>
          Edit…
        </button>
        <PauseButton
          enabled={m.enabled}
          disabled={removing || update.isPending}
          pauseTitle="Stops the app checking it on its own; Check now still works"
          resumeTitle={`The app checks it ${m.everySeconds ? 'on its schedule' : 'only when asked'} again`}
          onToggle={(enabled) => update.mutate({ name: m.name, enabled })}
        />
        <button
          type="button"
          className="btn btn-danger"
          disabled={checking || removing}
          onClick={() => setConfirming(true)}
        >
          Remove…
        </button>
      </div>
      <OperationProgress state={check.state} doing="Checking" failed="Not checked." onCancel={check.cancel} />
      <ErrorNotice error={props.remove.error} title="Not removed." />
      <ErrorNotice error={update.error} title={m.enabled ? 'Not paused.' : 'Not resumed.'} />
      {editing && <EditMonitorDialog monitor={m} onClose={() => setEditing(false)} />}
      {confirming && (
        <ConfirmRemove
          title={`Remove ${m.name}?`}
          onClose={() => setConfirming(false)}
          onRemove={() => props.remove.mutate({ name: m.name })}
        >
          <p>
            Its checks, with their drift reports, and its alerts are removed with it, and the app stops
            checking {m.deployment}. The deployment and its logged requests stay.
          </p>
        </ConfirmRemove>
      )}
    </div>
  );
}
