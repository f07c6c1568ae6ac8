/**
 * A model's or a version's description and tags, editable in place: the same fields MLflow clients
 * and `mlwb model describe|tag` set.
 */
import { useState } from 'react';
import { api } from '../../api/hooks.ts';
import { ErrorNotice } from '../../components/Notice.tsx';

export function AboutCard(props: {
  name: string;
  version?: number;
  description: string;
  tags: Record<string, string>;
}) {
  const { name, version } = props;
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(props.description);
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const update = api.models.update.useMutation();
  const setTag = api.models.setTag.useMutation();
  const deleteTag = api.models.deleteTag.useMutation();
  const tags = Object.entries(props.tags);
  return (
    <div className="card" data-testid="about">
      <div className="card-header">
        <h3>Description and tags</h3>
        {!editing && (
          <button
            type="button"
            className="btn btn-small"
            onClick={() => {
              setText(props.description);
              setEditing(true);
            }}
          >
            Edit description
          </button>
        )}
      </div>
      {editing ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            update.mutate({ name, version, description: text }, { onSuccess: () => setEditing(false) });
          }}
        >
          <textarea
            className="input rules-input"
            aria-label="Description"
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
          <div className="button-row">
            <button type="submit" className="btn btn-primary" disabled={update.isPending}>
              Save
            </button>
            <button type="button" className="btn" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <p className={props.description ? undefined : 'muted'} data-testid="description">
          {props.description || 'No description.'}
        </p>
      )}
      {tags.length > 0 && (
        <p className="tags" data-testid="tags">
          {tags.map(([k, v]) => (
            <span key={k} className="tag-chip">
              <span className="mono">{k}</span>={v}{' '}
              <button
                type="button"
                className="tag-remove"
                aria-label={`Remove tag ${k}`}
                onClick={() => deleteTag.mutate({ name, version, key: k })}
              >
                ×
              </button>
            </span>
          ))}
        </p>
      )}
      <form
        className="inline-form tag-form"
        onSubmit={(e) => {
          e.preventDefault();
          setTag.mutate(
            { name, version, key: key.trim(), value },
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
          aria-label="Tag key"
          placeholder="key"
          value={key}
          onChange={(e) => setKey(e.target.value)}
        />
        <input
          className="input"
          aria-label="Tag value"
          placeholder="value"
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        <button type="submit" className="btn btn-small" disabled={!key.trim() || setTag.isPending}>
          Add tag
        </button>
      </form>
      <ErrorNotice error={update.error ?? setTag.error ?? deleteTag.error} />
    </div>
  );
}
