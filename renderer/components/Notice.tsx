/** Small shared pieces: empty states, errors where they happened, progress, loading. */
import { type ReactNode, useEffect, useRef } from 'react';
import type { ApiError } from '../api/apiError.ts';
import './Notice.css';

export function EmptyState(props: {
  title: string;
  children?: ReactNode;
  icon?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <div className="empty-state">
      {props.icon && <div className="empty-icon">{props.icon}</div>}
      <h2>{props.title}</h2>
      {props.children && <div className="empty-body">{props.children}</div>}
      {props.actions && <div className="empty-actions">{props.actions}</div>}
    </div>
  );
}

/**
 * An error from core, shown next to what failed, with its code for anyone reporting it.
 * `intoView`: brought into view when it appears (at the foot of a long form it would go unseen).
 */
export function ErrorNotice(props: {
  error: ApiError | null | undefined;
  title?: string;
  onRetry?: () => void;
  intoView?: boolean;
}) {
  const shown = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (props.intoView && props.error) shown.current?.scrollIntoView({ block: 'nearest' });
  }, [props.intoView, props.error]);
  if (!props.error) return null;
  return (
    <div className="notice notice-error" role="alert" ref={shown}>
      <div className="notice-text">
        {props.title && <strong>{props.title} </strong>}
        {props.error.message}
        <span className="notice-code">{props.error.code}</span>
      </div>
      {props.onRetry && (
        <button type="button" className="btn btn-small" onClick={props.onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Warnings(props: { items: string[]; title?: string }) {
  if (props.items.length === 0) return null;
  return (
    <div className="notice notice-warning">
      <div className="notice-text">
        {props.title && <strong>{props.title}</strong>}
        <ul>
          {props.items.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      </div>
    </div>
  );
}

/** A determinate bar when the total is known, else an indeterminate one. */
export function ProgressBar(props: { done: number; total: number | null; label?: string }) {
  const pct = props.total ? Math.min(100, (props.done / props.total) * 100) : null;
  return (
    <div
      className={pct === null ? 'progress progress-indeterminate' : 'progress'}
      role="progressbar"
      aria-label={props.label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct === null ? undefined : Math.round(pct)}
    >
      <div className="progress-fill" style={pct === null ? undefined : { width: `${pct}%` }} />
    </div>
  );
}

export function Loading(props: { children?: ReactNode }) {
  return (
    <div className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {props.children ?? 'Loading…'}
    </div>
  );
}

/**
 * A page that shows one object, until the object is read: Loading, then (when it could not be
 * read) the page's breadcrumb over the error, with Retry.
 */
export function Unread(props: {
  query: { isPending: boolean; error: ApiError | null; refetch(): unknown };
  title: string;
  breadcrumb: ReactNode;
}) {
  if (props.query.isPending) return <Loading />;
  return (
    <div className="page">
      {props.breadcrumb}
      <ErrorNotice error={props.query.error} title={props.title} onRetry={() => void props.query.refetch()} />
    </div>
  );
}
