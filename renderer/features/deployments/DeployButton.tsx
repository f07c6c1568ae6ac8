/** The Deploy button of the model and version pages, and the dialog it opens. */
import { useState } from 'react';
import { DeployDialog } from './DeployDialog.tsx';
import type { DeployForm } from './deployForm.ts';

export function DeployButton(props: { model: string; target: DeployForm['target']; primary?: boolean }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button
        type="button"
        className={props.primary ? 'btn btn-primary' : 'btn'}
        title="Packages the model when needed and serves it from a container on your engine"
        onClick={() => setOpen(true)}
      >
        Deploy…
      </button>
      {open && <DeployDialog model={props.model} initial={props.target} onClose={() => setOpen(false)} />}
    </>
  );
}
