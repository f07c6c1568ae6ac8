/** A run's tags: the user's are added and removed here; the workbench's own are shown read-only. */
import { useState } from 'react';
import { api } from '../../api/hooks.ts';
import { ErrorNotice } from '../../components/Notice.tsx';
import { isSystemTag } from './runFormat.ts';
import './RunPage.css';

export function TagsEditor(props: { runId: string; tags: Record<string, string> }) {
  const setTag = api.runs.setTag.useMutation();
  const deleteTag = api.runs.deleteTag.useMutation();
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const entries = Object.entries(props.tags).sort(([a], [b]) => a.localeCompare(b));
  const user = entries.filter(([k]) => !isSystemTag(k));
  const system = entries.filter(([k]) => isSystemTag(k));

  return (
    <div className="card" data-testid="tags-card">
      <h3>Tags</h3>
      <div className="tag-list">
        {user.length === 0 && <span className="muted">No tags yet.</span>}
        {user.map(([k, v]) => (
          <span key={k} className="chip tag-chip" data-testid="tag">
            <span className="strong">{k}</span>
            {v && <span>= {v}</span>}
            <button
              type="button"
              className="chip-x"
              aria-label={`Remove tag ${k}`}
              disabled={deleteTag.isPending}
              onClick={() => deleteTag.mutate({ id: props.runId, key: k })}
            >
              ×
            </button>
          </span>
        ))}
      </div>
      <form
        className="tag-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!key.trim()) return;
          setTag.mutate(
            { id: props.runId, key: key.trim(), value },
            {
              onSuccess: () => {
                setKey('');
                setValue('');
              },
            },
          );
        }}
      >
        <input
          className="input"
          placeholder="key"
          aria-label="Tag key"
          value={key}
          onChange={(e) => setKey(e.target.value)}
        />
        <input
          className="input"
          placeholder="value (optional)"
          aria-label="Tag value"
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        <button type="submit" className="btn btn-small" disabled={!key.trim() || setTag.isPending}>
          Add tag
        </button>
      </form>
      <ErrorNotice error={setTag.error ?? deleteTag.error} title="The tag was not changed." />
      {system.length > 0 && (
        <div className="system-tags muted small">
          {system.map(([k, v]) => (
            <div key={k}>
              <span className="mono">{k}</span> = {v}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
