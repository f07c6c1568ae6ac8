/**
 * Picking a dataset and one of its versions: the pair every form that reads a dataset uses (New
 * run's channels, drift sources, Compare). The version list is newest first.
 */
import { api } from '../../api/hooks.ts';

export function DatasetSelect(props: {
  label?: string;
  aria: string;
  names: string[];
  value: string;
  onChange(name: string): void;
  /** The first option: a disabled prompt ("Choose a dataset"), or a choosable "none". */
  empty: { text: string; choosable?: boolean };
  disabled?: boolean;
}) {
  return (
    <label className="field">
      <span className="form-label">{props.label ?? 'Dataset'}</span>
      <select
        className="input"
        aria-label={props.aria}
        value={props.value}
        disabled={props.disabled}
        onChange={(e) => props.onChange(e.target.value)}
      >
        <option value="" disabled={!props.empty.choosable}>
          {props.empty.text}
        </option>
        {props.names.map((n) => (
          <option key={n}>{n}</option>
        ))}
      </select>
    </label>
  );
}

/** A dataset's versions (the query, for its state and error) and their numbers, newest first. */
export function useVersionNumbers(dataset: string) {
  const query = api.datasets.versions.useQuery({ name: dataset }, { enabled: dataset !== '' });
  const numbers = (query.data ?? []).map((v) => v.version).sort((a, b) => b - a);
  return { numbers, query };
}

export function VersionSelect(props: {
  label?: string;
  aria: string;
  numbers: number[];
  value: number | null;
  onChange(version: number | null): void;
  /** Offer "latest (vN)" as null, instead of requiring a version. */
  latest?: boolean;
  disabled?: boolean;
  className?: string;
}) {
  const newest = props.numbers[0];
  return (
    <label className={props.className ?? 'field field-narrow'}>
      <span className="form-label">{props.label ?? 'Version'}</span>
      <select
        className="input"
        aria-label={props.aria}
        value={props.value ?? ''}
        disabled={props.disabled ?? props.numbers.length === 0}
        onChange={(e) => props.onChange(e.target.value ? Number(e.target.value) : null)}
      >
        {props.latest ? (
          <option value="">{newest ? `latest (v${newest})` : 'latest'}</option>
        ) : (
          <option value="" disabled>
            —
          </option>
        )}
        {props.numbers.map((n) => (
          <option key={n} value={n}>
            v{n}
          </option>
        ))}
      </select>
    </label>
  );
}
