/**
 * The try-it form: one numeric field per feature of the served version (from its signature and
 * feature spec), filled by hand, from a pasted row or with a dataset's typical values; sent to the
 * deployment through core as MLflow `/invocations` or Open Inference Protocol, with the answer and
 * the equivalent `curl` command.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import type { Deployment } from '../../../shared/deployments.ts';
import type { ModelVersion } from '../../../shared/registry.ts';
import { api } from '../../api/hooks.ts';
import { ErrorNotice, Loading } from '../../components/Notice.tsx';
import { CopyButton } from './CopyButton.tsx';
import { isServing } from './deploymentFormat.ts';
import { TryItAnswer } from './TryItAnswer.tsx';
import { TryItFill } from './TryItFill.tsx';
import { curlCommand, featureFields, type Protocol, parseValues, requestFor } from './tryItRequest.ts';

export function TryItCard(props: { deployment: Deployment }) {
  const d = props.deployment;
  const version = api.models.version.useQuery({ name: d.model, version: d.version });
  return (
    <div className="card" data-testid="try-it">
      <div className="card-header">
        <h3>Try it</h3>
        <span className="muted small">
          {d.model}@v{d.version}
        </span>
      </div>
      <ErrorNotice
        error={version.error}
        title="The served version's signature could not be read."
        onRetry={() => void version.refetch()}
      />
      {version.isPending ? (
        <Loading />
      ) : version.data ? (
        // Another version with other feature columns starts the form over; the same columns keep their values.
        <TryItForm
          key={featureFields(version.data.version)
            .map((f) => f.column)
            .join('\n')}
          deployment={d}
          version={version.data.version}
        />
      ) : null}
    </div>
  );
}

/** How long after an answer its line is surely in the request log (written every 25 ms). */
const LOGGED_AFTER_MS = 300;

function TryItForm(props: { deployment: Deployment; version: ModelVersion }) {
  const d = props.deployment;
  const v = props.version;
  const fields = useMemo(() => featureFields(v), [v]);
  const [raw, setRaw] = useState<Record<string, string>>({});
  const [protocol, setProtocol] = useState<Protocol>('invocations');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const invoke = api.deployments.invoke.useMutation();
  const queryClient = useQueryClient();
  const parsed = parseValues(fields, raw);
  const request = 'values' in parsed ? requestFor(protocol, v, fields, parsed.values) : null;
  const serving = isServing(d.status);
  return (
    <form
      className="try-form"
      onSubmit={(e) => {
        e.preventDefault();
        if ('errors' in parsed) return setErrors(parsed.errors);
        setErrors({});
        if (request)
          invoke.mutate(
            { name: d.name, path: request.path, body: request.body },
            {
              // Its line is in the request log a moment later (the server writes in batches):
              // the recent requests below show it then, not at their next poll.
              onSettled: () =>
                setTimeout(
                  () => void queryClient.invalidateQueries({ queryKey: api.deployments.requests.key() }),
                  LOGGED_AFTER_MS,
                ),
            },
          );
      }}
    >
      <div className="try-fields">
        {fields.map((f) => (
          <label key={`${f.input}/${f.column}`} className="field">
            <span className="form-label mono">{f.column}</span>
            <input
              className="input mono"
              inputMode="decimal"
              aria-label={f.column}
              value={raw[f.column] ?? ''}
              aria-invalid={errors[f.column] !== undefined}
              onChange={(e) => setRaw((r) => ({ ...r, [f.column]: e.target.value }))}
            />
            {errors[f.column] && <span className="field-error">{errors[f.column]}</span>}
          </label>
        ))}
      </div>
      <TryItFill
        version={v}
        columns={fields.map((f) => f.column)}
        onFill={(values) => {
          setRaw((r) => ({ ...r, ...values }));
          setErrors({});
        }}
      />
      <div className="try-send">
        <div className="segmented" role="radiogroup" aria-label="Protocol">
          {(
            [
              ['invocations', 'MLflow /invocations'],
              ['oip', 'Open Inference Protocol'],
            ] as const
          ).map(([p, label]) => (
            <label key={p} className={protocol === p ? 'seg active' : 'seg'}>
              <input type="radio" name="protocol" checked={protocol === p} onChange={() => setProtocol(p)} />
              {label}
            </label>
          ))}
        </div>
        <button
          type="submit"
          className="btn btn-primary"
          disabled={invoke.isPending || !serving}
          title={serving ? undefined : 'The deployment does not serve now: start it first.'}
        >
          {invoke.isPending ? 'Sending…' : 'Send'}
        </button>
      </div>
      <ErrorNotice error={invoke.error} title="The request was not answered." />
      {invoke.data && <TryItAnswer answer={invoke.data} />}
      <div className="curl" data-testid="curl">
        <div className="curl-head">
          <span className="form-label">The same request with curl</span>
          {request && (
            <CopyButton text={curlCommand(d.url, request.path, request.body)} what="the curl command" />
          )}
        </div>
        <pre className="log-block curl-command" data-testid="curl-command">
          {request
            ? curlCommand(d.url, request.path, request.body)
            : 'Fill every field with a number to see the command.'}
        </pre>
      </div>
    </form>
  );
}
