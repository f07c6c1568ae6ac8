/**
 * "Choose…": the system's folder chooser, where there is one (Electron). In a browser the page
 * cannot browse the disk of the machine the workbench runs on, so there is no button and the
 * folder is typed.
 */
import { useState } from 'react';
import type { ApiError } from '../api/apiError.ts';
import { useClient } from '../api/client.ts';
import { ErrorNotice } from './Notice.tsx';

export function useFolderChooser(): ((title: string) => Promise<string | null>) | undefined {
  const transport = useClient().transport;
  return transport.pickFolder ? (title) => transport.pickFolder!(title) : undefined;
}

export function ChooseFolderButton(props: {
  title: string;
  onChosen(dir: string): void;
  disabled?: boolean;
}) {
  const choose = useFolderChooser();
  const [error, setError] = useState<ApiError | null>(null);
  if (!choose) return null;
  return (
    <>
      <button
        type="button"
        className="btn"
        disabled={props.disabled}
        onClick={() => {
          setError(null);
          choose(props.title).then(
            (dir) => dir && props.onChosen(dir),
            (err: ApiError) => setError(err),
          );
        }}
      >
        Choose…
      </button>
      <ErrorNotice error={error} title="The folder chooser did not open." />
    </>
  );
}
