/**
 * Asking before something is removed: what goes with it and what stays (the children), then
 * "Keep it" or "Remove".
 */
import type { ReactNode } from 'react';
import { ModalDialog } from './ModalDialog.tsx';

export function ConfirmRemove(props: {
  title: string;
  onRemove(): void;
  onClose(): void;
  children: ReactNode;
}) {
  return (
    <ModalDialog
      title={props.title}
      onClose={props.onClose}
      onSubmit={() => {
        props.onClose();
        props.onRemove();
      }}
    >
      <div className="dialog-body">{props.children}</div>
      <footer className="dialog-footer">
        <button type="button" className="btn" onClick={props.onClose}>
          Keep it
        </button>
        <button type="submit" className="btn btn-danger">
          Remove
        </button>
      </footer>
    </ModalDialog>
  );
}
