/**
 * After an alias moved: the deployments that follow it and how their health-gated replacement
 * ended (shown under the alias outcome on the model page).
 */
import type { FollowedAlias } from '../../../shared/deployments.ts';
import { href } from '../../router.ts';
import { plainLogText, splitFirstLine } from './deploymentFormat.ts';

export function FollowedDeployments(props: { followed: FollowedAlias[]; to: number }) {
  if (props.followed.length === 0) return null;
  return (
    <ul className="followed-deployments" data-testid="followed-deployments">
      {props.followed.map((f) => (
        <li key={f.deployment}>
          Deployment <a href={href({ page: 'deployment', name: f.deployment })}>{f.deployment}</a>
          {f.outcome === 'replaced' ? (
            ` now serves v${props.to}.`
          ) : f.outcome === 'failed' ? (
            <>
              {' '}
              <strong>was not replaced</strong>
              {f.reason ? `: ${plainLogText(splitFirstLine(f.reason).first)}` : '.'} It keeps its version;
              update it from its page once that is fixed.
            </>
          ) : (
            <>
              {' '}
              <strong>rolled back</strong>: v{props.to} did not become ready
              {f.reason ? `: ${plainLogText(splitFirstLine(f.reason).first)}` : '.'} Its page says more.
            </>
          )}
        </li>
      ))}
    </ul>
  );
}
