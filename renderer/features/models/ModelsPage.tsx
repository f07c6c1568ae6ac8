/** Registered models: name, latest version, aliases, latest evaluation; how to get a first one. */
import { api } from '../../api/hooks.ts';
import { Icon } from '../../components/icons.tsx';
import { EmptyState, ErrorNotice, Loading } from '../../components/Notice.tsx';
import { formatAgo, formatDate, formatJsonNumber } from '../../format.ts';
import { href, navigate } from '../../router.ts';
import { AliasChips } from './AliasChips.tsx';
import './models.css';

export function ModelsPage() {
  const list = api.models.list.useQuery({});
  const rows = list.data ?? [];
  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Models</h1>
          <p className="muted">
            Model versions registered from runs, with where they came from, how they score, and the aliases
            that name the one to use.
          </p>
        </div>
      </header>
      <ErrorNotice
        error={list.error}
        title="The models could not be listed."
        onRetry={() => void list.refetch()}
      />
      {list.isPending ? (
        <Loading />
      ) : rows.length === 0 && !list.error ? (
        <EmptyState title="No models yet" icon={<Icon name="models" size={36} />}>
          <p>
            Train a run on the <a href={href({ page: 'runs' })}>Runs</a> page (the example recipes write an
            ONNX model), open the finished run and press <strong>Register model</strong>. From a terminal:{' '}
            <code>mlwb model register RUN_ID --name NAME</code>.
          </p>
        </EmptyState>
      ) : (
        <div className="card card-flush">
          <table className="grid grid-hover" data-testid="models-table">
            <thead>
              <tr>
                <th>Name</th>
                <th className="num">Latest</th>
                <th>Aliases</th>
                <th>Latest evaluation</th>
                <th>Updated</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((m) => (
                <tr
                  key={m.name}
                  className="clickable"
                  data-testid="model-row"
                  onClick={() => navigate({ page: 'model', name: m.name })}
                >
                  <td className="strong">
                    <a href={href({ page: 'model', name: m.name })}>{m.name}</a>
                    {m.description && <div className="muted small">{m.description}</div>}
                  </td>
                  <td className="num">{m.latestVersion === null ? '—' : `v${m.latestVersion}`}</td>
                  <td>
                    <AliasChips aliases={m.aliases} name={m.name} />
                  </td>
                  <td>
                    {m.latestEvaluation ? (
                      <span>
                        <span className="mono">{m.latestEvaluation.metric}</span>{' '}
                        <strong>{formatJsonNumber(m.latestEvaluation.value)}</strong>{' '}
                        <span className="muted small">
                          v{m.latestEvaluation.version} on {m.latestEvaluation.dataset}
                        </span>
                      </span>
                    ) : (
                      <span className="muted">not evaluated</span>
                    )}
                  </td>
                  <td title={formatDate(m.updatedAt)}>{formatAgo(m.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
