/**
 * Deploying a model: by version, or by alias (following it or not), under a name, on a port (or
 * a free one), on an engine, as one container or a Swarm service with replicas. While core
 * packages and starts it the phases show and Cancel stops it; a refusal (port taken, engine down,
 * image build failed) is the backend's own message. Once it is ready, its page opens.
 */
import { useEffect, useState } from 'react';
import { deploymentNameFor } from '../../../shared/deployments.ts';
import { api } from '../../api/hooks.ts';
import { TextField } from '../../components/form/TextField.tsx';
import { ModalDialog } from '../../components/ModalDialog.tsx';
import { OperationProgress } from '../../components/OperationProgress.tsx';
import { navigate } from '../../router.ts';
import { type DeployForm, type DeployFormErrors, deployParams, type ModeChoice } from './deployForm.ts';

export function DeployDialog(props: { model: string; initial: DeployForm['target']; onClose(): void }) {
  const model = api.models.get.useQuery({ name: props.model });
  const engines = api.engines.list.useQuery({});
  const op = api.deployments.create.useOperation();
  const [form, setForm] = useState<DeployForm>({
    target: props.initial,
    followAlias: true,
    name: deploymentNameFor(props.model),
    port: '',
    engine: '',
    mode: 'auto',
    replicas: '1',
  });
  const [errors, setErrors] = useState<DeployFormErrors>({});
  const set = (patch: Partial<DeployForm>) => setForm((f) => ({ ...f, ...patch }));
  const versions = (model.data?.versions ?? []).map((v) => v.version).sort((a, b) => b - a);
  const aliases = Object.entries(model.data?.model.aliases ?? {});
  const running = op.state.status === 'running';
  const deployed = op.state.status === 'succeeded' ? op.state.result.deployment.name : null;
  useEffect(() => {
    if (deployed) navigate({ page: 'deployment', name: deployed });
  }, [deployed]);
  const targetValue = form.target.kind === 'version' ? String(form.target.version) : `@${form.target.alias}`;
  const defaultEngine = engines.data?.find((e) => e.isDefault);
  return (
    <ModalDialog
      title={`Deploy ${props.model}`}
      onClose={props.onClose}
      onSubmit={() => {
        const r = deployParams(props.model, form);
        if ('errors' in r) return setErrors(r.errors);
        setErrors({});
        void op.start(r.params);
      }}
    >
      <div className="dialog-body deploy-form">
        <label className="field">
          <span className="form-label">Serve</span>
          <select
            className="input"
            aria-label="Version to deploy"
            value={targetValue}
            disabled={running}
            onChange={(e) => {
              const v = e.target.value;
              set({
                target: v.startsWith('@')
                  ? { kind: 'alias', alias: v.slice(1) }
                  : { kind: 'version', version: Number(v) },
              });
            }}
          >
            {aliases.map(([a, v]) => (
              <option key={`@${a}`} value={`@${a}`}>
                alias {a} (now v{v})
              </option>
            ))}
            {/* The chosen version, even before the model's list arrives. */}
            {(form.target.kind === 'version' && !versions.includes(form.target.version)
              ? [form.target.version, ...versions]
              : versions
            ).map((v) => (
              <option key={v} value={String(v)}>
                v{v}
              </option>
            ))}
          </select>
        </label>
        {form.target.kind === 'alias' && (
          <label className="check-label">
            <input
              type="checkbox"
              checked={form.followAlias}
              disabled={running}
              onChange={(e) => set({ followAlias: e.target.checked })}
            />
            Follow the alias: when {form.target.alias} moves, replace the deployment (health-gated)
          </label>
        )}
        <TextField
          label="Name"
          aria="Deployment name"
          value={form.name}
          onChange={(name) => set({ name })}
          error={errors.name}
          mono
          hint="Lower-case letters, digits and -: it names the containers too."
        />
        <TextField
          label="Port (optional)"
          aria="Port"
          value={form.port}
          onChange={(port) => set({ port })}
          error={errors.port}
          placeholder="a free one"
          mono
        />
        <label className="field">
          <span className="form-label">Engine</span>
          <select
            className="input"
            aria-label="Engine"
            value={form.engine}
            disabled={running}
            onChange={(e) => set({ engine: e.target.value })}
          >
            <option value="">
              {defaultEngine
                ? `the default engine (${defaultEngine.name === 'default' ? defaultEngine.host : defaultEngine.name})`
                : 'the default engine'}
            </option>
            {(engines.data ?? [])
              .filter((e) => !e.isDefault)
              .map((e) => (
                <option key={e.name} value={e.name}>
                  {e.name} · {e.host}
                </option>
              ))}
          </select>
        </label>
        <div className="field">
          <span className="form-label">Mode</span>
          <div className="segmented" role="radiogroup" aria-label="Mode">
            {(
              [
                ['auto', 'Auto', 'Swarm when the engine is a Swarm manager, else one container'],
                ['container', 'Container', 'One container on the engine'],
                ['swarm', 'Swarm', 'A Swarm service with replicas and rolling updates'],
              ] as [ModeChoice, string, string][]
            ).map(([m, label, title]) => (
              <label key={m} className={form.mode === m ? 'seg active' : 'seg'} title={title}>
                <input
                  type="radio"
                  name="mode"
                  checked={form.mode === m}
                  disabled={running}
                  onChange={() => set({ mode: m })}
                />
                {label}
              </label>
            ))}
          </div>
        </div>
        {form.mode === 'swarm' && (
          <TextField
            label="Replicas"
            value={form.replicas}
            onChange={(replicas) => set({ replicas })}
            error={errors.replicas}
            mono
          />
        )}
        <div className="field-wide deploy-op">
          <OperationProgress
            state={op.state}
            doing="Deploying"
            failed="Not deployed."
            onCancel={op.cancel}
            noCancel
          />
        </div>
      </div>
      <footer className="dialog-footer">
        {running ? (
          <button type="button" className="btn" onClick={op.cancel}>
            Cancel deploy
          </button>
        ) : (
          <button type="button" className="btn" onClick={props.onClose}>
            Close
          </button>
        )}
        <button type="submit" className="btn btn-primary" disabled={running || deployed !== null}>
          {running ? 'Deploying…' : 'Deploy'}
        </button>
      </footer>
    </ModalDialog>
  );
}
