/**
 * The shell every dialog shares: a modal `<dialog>` opened on mount, named by its title, whose
 * Escape (the dialog's cancel) calls `onClose`, holding one form whose submit calls `onSubmit`.
 * The children are the dialog's `.dialog-body` and `.dialog-footer`.
 */
import { type ReactNode, useEffect, useId, useRef } from 'react';

export function ModalDialog(props: {
  title: ReactNode;
  wide?: boolean;
  onClose(): void;
  onSubmit(): void;
  children: ReactNode;
}) {
  const titleId = useId();
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => dialog.current?.showModal(), []);
  return (
    <dialog
      ref={dialog}
      className={props.wide ? 'dialog dialog-wide' : 'dialog'}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          props.onSubmit();
        }}
      >
        <header className="dialog-header">
          <h2 id={titleId}>{props.title}</h2>
        </header>
        {props.children}
      </form>
    </dialog>
  );
}

/**
 * A form dialog's footer: Cancel, and the submit button, which says `pendingLabel` and is disabled
 * while the request is out (and whenever `disabled`).
 */
export function SubmitFooter(props: {
  onCancel: () => void;
  pending: boolean;
  disabled?: boolean;
  label: string;
  pendingLabel: string;
}) {
  return (
    <footer className="dialog-footer">
      <button type="button" className="btn" onClick={props.onCancel}>
        Cancel
      </button>
      <button type="submit" className="btn btn-primary" disabled={props.pending || props.disabled}>
        {props.pending ? props.pendingLabel : props.label}
      </button>
    </footer>
  );
}
