/**
 * How a drift input reads in reports and lists: a dataset version with its table, a deployment's
 * traffic with its window, or a file.
 */
import type { DriftInputIdentity } from '../../../shared/drift.ts';
import { formatDate } from '../../format.ts';
import './ReportView.css';

export function inputText(i: DriftInputIdentity): string {
  if (i.kind === 'dataset' && i.dataset) return `${i.dataset} v${i.version}`;
  if (i.kind === 'deployment' && i.deployment) return `${i.deployment} traffic`;
  return i.label.split(/[\\/]/).pop() || i.label;
}

function detailText(i: DriftInputIdentity): string {
  if (i.kind === 'dataset') return i.path ?? '';
  if (i.kind === 'upload') return 'dropped file';
  if (i.kind === 'deployment')
    return i.from !== undefined && i.to !== undefined
      ? `${i.from > 0 ? formatDate(i.from) : 'all'} → ${formatDate(i.to)}`
      : i.label;
  return i.path ?? i.label;
}

export function InputName(props: { identity: DriftInputIdentity; detail?: boolean }) {
  const i = props.identity;
  return (
    <span className="input-name" title={`${i.label}\nsha256 ${i.sha256}`}>
      <span className="strong">{inputText(i)}</span>
      {props.detail !== false && detailText(i) && <span className="mono muted"> {detailText(i)}</span>}
    </span>
  );
}
