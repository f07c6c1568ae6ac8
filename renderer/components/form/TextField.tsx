/**
 * One labelled text input with its error (or, without one, its hint) under it: the form part every
 * dialog and settings form uses, so fields look and behave alike.
 */
import type { ReactNode } from 'react';

export function TextField(props: {
  label: string;
  /** The accessible name, when it should say more than the label ("Engine name"). */
  aria?: string;
  value: string;
  onChange(value: string): void;
  placeholder?: string;
  error?: string;
  hint?: ReactNode;
  mono?: boolean;
  /** Spans the whole row of a field grid. */
  wide?: boolean;
}) {
  return (
    <label className={props.wide ? 'field field-wide' : 'field'}>
      <span className="form-label">{props.label}</span>
      <input
        className={props.mono ? 'input mono' : 'input'}
        aria-label={props.aria ?? props.label}
        placeholder={props.placeholder}
        value={props.value}
        aria-invalid={props.error !== undefined}
        onChange={(ev) => props.onChange(ev.target.value)}
      />
      {props.error ? (
        <span className="field-error">{props.error}</span>
      ) : (
        props.hint && <span className="muted small">{props.hint}</span>
      )}
    </label>
  );
}
