/**
 * Pause, or Resume once paused, of what runs on its own (a monitor's scheduled checks, a policy's
 * triggers); the titles say what each does to it.
 */
export function PauseButton(props: {
  enabled: boolean;
  disabled: boolean;
  pauseTitle: string;
  resumeTitle: string;
  onToggle: (enabled: boolean) => void;
}) {
  return (
    <button
      type="button"
      className="btn"
      disabled={props.disabled}
      title={props.enabled ? props.pauseTitle : props.resumeTitle}
      onClick={() => props.onToggle(!props.enabled)}
    >
      {props.enabled ? 'Pause' : 'Resume'}
    </button>
  );
}
