/**
 * All runs: a filterable, server-sorted, windowed table with a column per param and metric; select
 * runs to compare them; New Run starts one or a sweep. Without a Docker engine and without runs,
 * the page says how to start one.
 */
import { useCallback, useMemo, useState } from 'react';
import { COMPARE_LIMIT } from '../../../shared/tracking.ts';
import { api } from '../../api/hooks.ts';
import { useRunList } from '../../api/useRunList.ts';
import { Icon } from '../../components/icons.tsx';
import { EmptyState, Loading } from '../../components/Notice.tsx';
import { formatCount, plural } from '../../format.ts';
import { navigate } from '../../router.ts';
import { EngineUnavailable, EngineWarning } from './EngineUnavailable.tsx';
import { NewRunDialog } from './NewRunDialog.tsx';
import { RunFilterBar } from './RunFilterBar.tsx';
import { RunsTable, type Sort } from './RunsTable.tsx';
import './runs.css';

const DEFAULT_SORT: Sort = { key: 'attributes.created', desc: true };

export function RunsPage() {
  const engine = api.engine.status.useQuery({}, { refetchInterval: 10_000 });
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<Sort>(DEFAULT_SORT);
  const orderBy = useMemo(() => [`${sort.key} ${sort.desc ? 'DESC' : 'ASC'}`], [sort]);
  const list = useRunList({ filter, orderBy });
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [dialog, setDialog] = useState(false);

  const { paramKeys, metricKeys } = useMemo(() => {
    const p = new Set<string>();
    const m = new Set<string>();
    for (const r of list.runs) {
      for (const k in r.params) p.add(k);
      for (const k in r.metrics) m.add(k);
    }
    const byName = (a: string, b: string) => a.localeCompare(b);
    return { paramKeys: [...p].sort(byName), metricKeys: [...m].sort(byName) };
  }, [list.runs]);

  const toggle = useCallback(
    (id: string) =>
      setSelected((prev) => {
        const next = new Set(prev);
        if (next.has(id)) next.delete(id);
        else next.add(id);
        return next;
      }),
    [],
  );
  const { loadMore } = list;
  const onLoadMore = useCallback(() => loadMore(), [loadMore]);

  const engineDown = engine.data && !engine.data.reachable ? engine.data : null;
  const noRuns = !list.isPending && list.runs.length === 0 && filter === '' && !list.error;
  const chosen = [...selected];

  return (
    <div className="page page-fill">
      <header className="page-header">
        <div>
          <h1>Runs</h1>
          <p className="muted">Training runs in Docker containers, with their params, metrics and logs.</p>
        </div>
        <div className="button-row">
          <button
            type="button"
            className="btn"
            disabled={chosen.length < 2}
            title={
              chosen.length < 2
                ? 'Select two or more runs to compare them'
                : chosen.length > COMPARE_LIMIT
                  ? `The first ${COMPARE_LIMIT.toLocaleString()} selected are compared together`
                  : undefined
            }
            onClick={() => navigate({ page: 'runs-compare', ids: chosen })}
          >
            <Icon name="compare" size={15} /> Compare{chosen.length >= 2 ? ` ${chosen.length}` : ''}
          </button>
          <button type="button" className="btn btn-primary" onClick={() => setDialog(true)}>
            <Icon name="runs" size={15} /> New run…
          </button>
        </div>
      </header>

      {engineDown && !noRuns && <EngineWarning status={engineDown} />}

      {list.isPending && !list.error ? (
        <Loading />
      ) : noRuns ? (
        engineDown ? (
          <EngineUnavailable
            status={engineDown}
            checking={engine.isFetching}
            onRetry={() => void engine.refetch()}
          />
        ) : (
          <EmptyState
            title="No runs yet"
            icon={<Icon name="runs" size={36} />}
            actions={
              <button type="button" className="btn btn-primary" onClick={() => setDialog(true)}>
                New run…
              </button>
            }
          >
            <p>
              Start a run: pick a recipe (two examples ship with the workbench), a dataset version and params,
              or sweep over several values at once. Each run trains in its own container, and its logs,
              metrics and model are kept here.
            </p>
          </EmptyState>
        )
      ) : (
        <>
          <RunFilterBar filter={filter} onApply={setFilter} error={list.error} />
          <div className="toolbar runs-toolbar">
            <span className="muted" data-testid="runs-count">
              {list.error
                ? 'No runs shown.'
                : `${list.hasMore ? `${formatCount(list.runs.length)}+ runs` : plural(list.runs.length, 'run')}${filter ? ' matching the filter' : ''}`}
              {chosen.length > 0 && ` · ${formatCount(chosen.length)} selected`}
              {list.isFetching && ' · updating…'}
            </span>
            {chosen.length > 0 && (
              <button
                type="button"
                className="btn btn-ghost btn-small"
                onClick={() => setSelected(new Set())}
              >
                Clear selection
              </button>
            )}
          </div>
          {list.runs.length === 0 && !list.error ? (
            <EmptyState title="No run matches this filter">
              <p>Change the filter, or clear it to see every run.</p>
            </EmptyState>
          ) : list.runs.length > 0 ? (
            <div className="card card-flush runs-card">
              <RunsTable
                runs={list.runs}
                paramKeys={paramKeys}
                metricKeys={metricKeys}
                sort={sort}
                onSort={setSort}
                selected={selected}
                onToggle={toggle}
                onToggleAll={(all) => setSelected(all ? new Set(list.runs.map((r) => r.id)) : new Set())}
                hasMore={list.hasMore}
                onLoadMore={onLoadMore}
              />
            </div>
          ) : null}
        </>
      )}
      {dialog && <NewRunDialog onClose={() => setDialog(false)} />}
    </div>
  );
}
