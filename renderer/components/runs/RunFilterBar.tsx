/**
 * The filter over runs, in the MLflow search syntax subset, applied on Enter; the server's parse
 * error is shown under the input. Filters worth keeping are saved in this browser (localStorage).
 */
import { useEffect, useState } from 'react';
import type { ApiError } from '../../api/apiError.ts';

const STORAGE_KEY = 'mlwb.runs.savedFilters';
const EXAMPLE = "metrics.val_accuracy > 0.9 and params.max_iter = '40' and attributes.status = 'FINISHED'";

function loadSaved(): string[] {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]');
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export function RunFilterBar(props: {
  filter: string;
  onApply(filter: string): void;
  error: ApiError | null;
}) {
  const [draft, setDraft] = useState(props.filter);
  const [saved, setSaved] = useState(loadSaved);
  useEffect(() => setDraft(props.filter), [props.filter]);

  const store = (next: string[]) => {
    setSaved(next);
    localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  };
  const current = props.filter.trim();
  const isSaved = current !== '' && saved.includes(current);

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
        {current !== '' && !props.error && (
          <button
            type="button"
            className="btn btn-ghost"
            disabled={isSaved}
            onClick={() => store([...saved, current])}
          >
            {isSaved ? 'Saved' : 'Save filter'}
          </button>
        )}
      </form>
      {props.error && (
        <div className="field-error" role="alert" data-testid="filter-error">
          {props.error.message}
        </div>
      )}
      {saved.length > 0 && (
        <fieldset className="saved-filters" aria-label="Saved filters">
          <span className="form-label">Saved</span>
          {saved.map((f) => (
            <span key={f} className={f === current ? 'chip chip-filter active' : 'chip chip-filter'}>
              <button type="button" className="chip-main mono" title={f} onClick={() => props.onApply(f)}>
                {f}
              </button>
              <button
                type="button"
                className="chip-x"
                aria-label={`Forget the filter ${f}`}
                onClick={() => store(saved.filter((x) => x !== f))}
              >
                ×
              </button>
            </span>
          ))}
        </fieldset>
      )}
    </div>
  );
}
