/**
 * "Choose…": the system's folder chooser, where there is one (Electron). In a browser the page
 * cannot browse the disk of the machine the workbench runs on, so there is no button and the
 * folder is typed.
 */
import { useState } from 'react';
import type { ApiError } from '../api/apiError.ts';
import { useClient } from '../api/client.ts';
import { ErrorNotice } from './Notice.tsx';

/**
 * The system's folder chooser where there is one (else undefined). `choose` resolves with the
 * folder, or null when the user cancels or the chooser fails — `error` then says why.
 */
export function useFolderChooser():
  | { choose(title: string): Promise<string | null>; error: ApiError | null }
  | undefined {
  const transport = useClient().transport;
  const [error, setError] = useState<ApiError | null>(null);
  if (!transport.pickFolder) return undefined;
  const pick = transport.pickFolder.bind(transport);
  return {
    error,
    async choose(title) {
      setError(null);
      try {
        return await pick(title);
      } catch (err) {
        setError(err as ApiError);
        return null;
      }
    },
  };
}

export function ChooseFolderButton(props: {
  title: string;
  onChosen(dir: string): void;
  disabled?: boolean;
}) {
  const chooser = useFolderChooser();
  if (!chooser) return null;
  return (
    <>
      <button
        type="button"
        className="btn"
        disabled={props.disabled}
        onClick={() => {
          void chooser.choose(props.title).then((dir) => dir && props.onChosen(dir));
        }}
      >
        Choose…
      </button>
      <ErrorNotice error={chooser.error} title="The folder chooser did not open." />
    </>
  );
}
