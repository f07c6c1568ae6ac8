/**
 * Changing a retraining policy in place: the same fields as adding one, filled with what it has —
 * the alias, what sets it off, the cooldown, what it evaluates on and, folded away, what it trains.
 * Saving applies to its next execution; one under way goes on as it began. A refusal (no recipe
 * there, a rule its monitor does not check) shows here.
 */
import { useState } from 'react';
import type { Policy } from '../../../../shared/policies.ts';
import { api } from '../../../api/hooks.ts';
import { fieldErrors } from '../../../components/form/fieldErrors.ts';
import { ModalDialog, SubmitFooter } from '../../../components/ModalDialog.tsx';
import { ErrorNotice } from '../../../components/Notice.tsx';
import { AliasField, CooldownField, PolicyTriggerFields } from './PolicyTriggerFields.tsx';
import {
  formOfPolicy,
  type PolicyForm,
  type PolicyFormErrors,
  policyUpdateParams,
  withServerErrors,
} from './policyForm.ts';
import { TrainingFields } from './TrainingFields.tsx';
import '../monitoring.css';
import './policies.css';

export function EditPolicyDialog(props: { policy: Policy; busy: boolean; onClose(): void }) {
  const p = props.policy;
  const update = api.policies.update.useMutation();
  const [form, setForm] = useState<PolicyForm>(() => formOfPolicy(p));
  const [errors, setErrors] = useState<PolicyFormErrors>({});
  const set = (patch: Partial<PolicyForm>) => setForm((f) => ({ ...f, ...patch }));
  const server = fieldErrors(update.error, ['alias', 'recipe', 'datasets', 'params', 'evaluation']);
  return (
    <ModalDialog
      title={`Edit ${p.name}`}
      wide
      onClose={props.onClose}
      onSubmit={() => {
        const r = policyUpdateParams(form, p);
        if ('errors' in r) return setErrors(r.errors);
        setErrors({});
        update.mutate(r.params, { onSuccess: props.onClose });
      }}
    >
      <div className="dialog-body policy-form" data-testid="edit-policy">
        <p className="muted">
          Retrains {p.model} for <strong>{p.deployment}</strong>. Its history stays; the next execution uses
          these settings{props.busy ? ', and the one under way goes on as it began' : ''}.
        </p>
        <div className="monitor-form-row">
          <AliasField form={form} error={errors.alias ?? server.fields.alias} set={set} />
          <CooldownField form={form} errors={errors} set={set} />
        </div>
        <PolicyTriggerFields deployment={p.deployment} form={form} errors={errors} set={set} />
        <TrainingFields
          served={null}
          editing
          form={form}
          errors={withServerErrors(errors, server.fields)}
          set={set}
        />
        <ErrorNotice error={server.rest} title="Not saved." intoView />
      </div>
      <SubmitFooter onCancel={props.onClose} pending={update.isPending} label="Save" pendingLabel="Saving…" />
    </ModalDialog>
  );
}
