/**
 * The filter over runs, in the MLflow search syntax subset, applied on Enter; the server's parse
 * error is shown under the input. A filter worth keeping is saved under a name, in the store (so
 * it is there in every window and after a restart); saved filters are chips that apply it.
 */
import { useEffect, useState } from 'react';
import { FilterName } from '../../../shared/tracking.ts';
import type { ApiError } from '../../api/apiError.ts';
import { defaultFilterName, useSavedFilters } from '../../api/useSavedFilters.ts';
import { ErrorNotice, Warnings } from '../../components/Notice.tsx';
import './runs.css';

const EXAMPLE = "metrics.val_accuracy > 0.9 and params.max_iter = '40' and attributes.status = 'FINISHED'";

export function RunFilterBar(props: {
  filter: string;
  onApply(filter: string): void;
  error: ApiError | null;
}) {
  const [draft, setDraft] = useState(props.filter);
  // The name being typed for the applied filter, while the Save form is open.
  const [naming, setNaming] = useState<string | null>(null);
  const saved = useSavedFilters();
  useEffect(() => {
    setDraft(props.filter);
    setNaming(null);
  }, [props.filter]);

  const current = props.filter.trim();
  const savedAs = saved.filters.find((f) => f.filter === current);
  const nameCheck = naming === null ? null : FilterName.safeParse(naming);
  const nameError = nameCheck && !nameCheck.success ? nameCheck.error.issues[0]?.message : undefined;
  const replacing = naming !== null && saved.filters.some((f) => f.name === naming.trim());

  return (
    <div className="run-filter">
      <form
        className="run-filter-row"
        onSubmit={(e) => {
          e.preventDefault();
          props.onApply(draft.trim());
        }}
      >
        <input
          className="input mono run-filter-input"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          placeholder={`Filter, e.g. ${EXAMPLE}`}
          aria-label="Filter runs"
          aria-invalid={props.error !== null}
          spellCheck={false}
        />
        <button type="submit" className="btn">
          Apply
        </button>
        {current !== '' && (
          <button type="button" className="btn btn-ghost" onClick={() => props.onApply('')}>
            Clear
          </button>
        )}
        {current !== '' && !props.error && naming === null && (
          <button
            type="button"
            className="btn btn-ghost"
            disabled={savedAs !== undefined}
            title={savedAs ? `Saved as “${savedAs.name}”` : 'Keep this filter under a name'}
            onClick={() => setNaming(defaultFilterName(current))}
          >
            {savedAs ? 'Saved' : 'Save filter…'}
          </button>
        )}
      </form>
      {props.error && (
        <div className="field-error" role="alert" data-testid="filter-error">
          {props.error.message}
        </div>
      )}
      {naming !== null && (
        <form
          className="inline-form run-filter-name"
          onSubmit={(e) => {
            e.preventDefault();
            if (!nameError) saved.save(naming.trim(), current, () => setNaming(null));
          }}
        >
          <span className="form-label">Save this filter as</span>
          <input
            className="input"
            aria-label="Filter name"
            aria-invalid={nameError !== undefined}
            value={naming}
            // biome-ignore lint/a11y/noAutofocus: the field appears because the user asked to name the filter
            autoFocus
            onFocus={(e) => e.currentTarget.select()}
            onChange={(e) => setNaming(e.target.value)}
          />
          <button
            type="submit"
            className="btn btn-small btn-primary"
            disabled={nameError !== undefined || saved.saving}
          >
            {replacing ? 'Replace' : 'Save'}
          </button>
          <button type="button" className="btn btn-small btn-ghost" onClick={() => setNaming(null)}>
            Cancel
          </button>
          {nameError && <span className="field-error">{nameError}</span>}
          {replacing && !nameError && (
            <span className="muted small">A saved filter has this name: saving replaces it.</span>
          )}
        </form>
      )}
      <ErrorNotice error={saved.saveError} title="The filter was not saved." />
      <ErrorNotice error={saved.removeError} title="The saved filter was not removed." />
      <ErrorNotice error={saved.legacyError} title="Filters saved in this browser were not moved yet." />
      <Warnings
        title="These filters, saved in this browser before, no longer parse and were not kept (to keep one, fix it in the filter box and save it):"
        items={saved.legacyRefused.map((r) => `${r.filter} — ${r.message}`)}
      />
      <fieldset className="saved-filters" aria-label="Saved filters" data-testid="saved-filters">
        <span className="form-label">Saved</span>
        {saved.error ? (
          <ErrorNotice error={saved.error} title="Saved filters could not be read." onRetry={saved.refetch} />
        ) : saved.isPending ? (
          <span className="muted small">Loading…</span>
        ) : saved.filters.length === 0 ? (
          <span className="muted small" data-testid="saved-filters-empty">
            None yet: apply a filter, then Save filter… keeps it here for next time.
          </span>
        ) : (
          saved.filters.map((f) => (
            <span
              key={f.name}
              className={f.filter === current ? 'chip chip-filter active' : 'chip chip-filter'}
            >
              <button
                type="button"
                className="chip-main"
                title={`Apply ${f.filter}`}
                onClick={() => props.onApply(f.filter)}
              >
                {f.name}
              </button>
              <button
                type="button"
                className="chip-x"
                aria-label={`Remove the saved filter ${f.name}`}
                title="Remove this saved filter"
                onClick={() => saved.remove(f.name)}
              >
                ×
              </button>
            </span>
          ))
        )}
      </fieldset>
    </div>
  );
}
