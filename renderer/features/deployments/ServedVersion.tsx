/** The model version a deployment serves, linked to its page, and what its alias says. */
import type { Deployment } from '../../../shared/deployments.ts';
import { href } from '../../router.ts';
import { aliasNote } from './deploymentFormat.ts';

export function ServedVersion(props: {
  deployment: Deployment;
  /** Offers "update" beside an alias that moved: starts the update here… */
  onUpdateToAlias?: () => void;
  /** …or opens the deployment's page, which has it. */
  linkToPage?: boolean;
}) {
  const d = props.deployment;
  const note = aliasNote(d);
  return (
    <span className="served-version">
      <a
        href={href({ page: 'model-version', name: d.model, version: d.version })}
        data-testid="served-version"
      >
        {d.model}@v{d.version}
      </a>
      {note && (
        <span
          className={note.behind === null ? 'muted small' : 'alias-behind small'}
          data-testid="alias-note"
        >
          {' '}
          {note.text}
          {note.behind !== null && props.onUpdateToAlias && (
            <>
              {' — '}
              <button type="button" className="link-button" onClick={props.onUpdateToAlias}>
                update
              </button>
            </>
          )}
          {note.behind !== null && props.linkToPage && (
            <>
              {' — '}
              <a href={href({ page: 'deployment', name: d.name })}>update</a>
            </>
          )}
        </span>
      )}
    </span>
  );
}
