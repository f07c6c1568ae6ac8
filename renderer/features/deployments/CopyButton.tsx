/**
 * Copies a text (a URL, a curl command) to the clipboard and says so for a moment. Where the
 * clipboard is refused (a page not in a secure context), it says to select the text instead.
 */
import { useEffect, useState } from 'react';

export function CopyButton(props: { text: string; label?: string; what?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'refused'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 1800);
    return () => clearTimeout(timer);
  }, [state]);
  return (
    <button
      type="button"
      className="btn btn-small btn-ghost"
      aria-label={`Copy ${props.what ?? 'it'}`}
      title={
        state === 'refused' ? 'The clipboard is not available here: select the text and copy it.' : undefined
      }
      onClick={() => {
        navigator.clipboard
          ?.writeText(props.text)
          .then(() => setState('copied'))
          .catch(() => setState('refused'));
        if (!navigator.clipboard) setState('refused');
      }}
    >
      {state === 'copied' ? 'Copied' : state === 'refused' ? 'Select to copy' : (props.label ?? 'Copy')}
    </button>
  );
}
