/**
 * A new drift check: reference and current (dataset versions or files dropped on the window),
 * a preset and options, then Run check with progress and cancel. While this form is on screen,
 * files dropped on the window become its inputs (on a side's card: that side; elsewhere: the
 * first side without a file), not a new dataset version.
 */
import { useState } from 'react';
import type { DriftOptionsPatch, DriftReportRecord } from '../../../shared/drift.ts';
import { api } from '../../api/hooks.ts';
import { useDriftCheck } from '../../api/useDriftCheck.ts';
import { useDropClaim } from '../../components/AddFiles.tsx';
import { ErrorNotice, ProgressBar } from '../../components/Notice.tsx';
import { formatBytes } from '../../format.ts';
import { OptionsPanel } from './OptionsPanel.tsx';
import {
  describePatch,
  emptyForm,
  formFromPatch,
  hasErrors,
  patchFromForm,
  samePatch,
} from './optionsForm.ts';
import { PresetBar } from './PresetBar.tsx';
import { type Side, type SourceChoice, SourcePicker, sourceInput } from './SourcePicker.tsx';
import './CheckForm.css';

const emptyDataset: SourceChoice = { kind: 'dataset', name: '', version: null, path: null };

export function CheckForm(props: { onDone: (record: DriftReportRecord) => void }) {
  const [sources, setSources] = useState<Record<Side, SourceChoice>>({
    reference: emptyDataset,
    current: emptyDataset,
  });
  const [form, setForm] = useState(emptyForm);
  const [preset, setPreset] = useState<{ name: string; options: DriftOptionsPatch } | null>(null);
  const [optionsOpen, setOptionsOpen] = useState(false);
  const [dropError, setDropError] = useState<string | null>(null);
  const check = useDriftCheck(props.onDone);
  const running = check.state.step === 'uploading' || check.state.step === 'checking';

  const setSide = (side: Side, v: SourceChoice) => {
    setSources((s) => {
      const next = { ...s, [side]: v };
      // Choosing the reference dataset first proposes the same dataset's latest version as current.
      if (
        side === 'reference' &&
        v.kind === 'dataset' &&
        v.name &&
        s.current.kind === 'dataset' &&
        !s.current.name
      )
        next.current = { kind: 'dataset', name: v.name, version: null, path: null };
      return next;
    });
  };

  const { dragging } = useDropClaim((source, target) => {
    const files = source.roots.filter((r) => r.kind === 'file').map((r) => r.file);
    if (files.length === 0)
      return setDropError('Drop a file (CSV, TSV, Parquet or JSON Lines), not a folder.');
    setDropError(null);
    const onSide = target?.closest('[data-drop-side]')?.getAttribute('data-drop-side') as Side | null;
    if (onSide) return setSide(onSide, { kind: 'file', file: files[0]! });
    if (files.length >= 2) {
      setSources({
        reference: { kind: 'file', file: files[0]! },
        current: { kind: 'file', file: files[1]! },
      });
      return;
    }
    const hasFile = (c: SourceChoice) => c.kind === 'file' && c.file !== null;
    setSide(hasFile(sources.reference) ? 'current' : 'reference', { kind: 'file', file: files[0]! });
  });

  const ref = sources.reference;
  const profile = api.datasets.profile.useQuery(
    {
      name: ref.kind === 'dataset' ? ref.name : '',
      version: ref.kind === 'dataset' ? (ref.version ?? 1) : 1,
    },
    { enabled: optionsOpen && ref.kind === 'dataset' && Boolean(ref.name && ref.version) },
  );
  const knownColumns =
    profile.data?.tables
      .find((t) => ref.kind === 'dataset' && t.path === ref.path)
      ?.columns.map((c) => c.name) ?? [];

  const { patch, errors } = patchFromForm(form);
  const modified = preset !== null && !samePatch(patch, preset.options);
  const reference = sourceInput(sources.reference);
  const current = sourceInput(sources.current);
  const blocker =
    reference === null
      ? 'Choose the reference data.'
      : current === null
        ? 'Choose the current data.'
        : hasErrors(errors)
          ? 'Fix the options first.'
          : null;

  const run = () => {
    if (reference === null || current === null || hasErrors(errors)) return;
    // An unchanged preset runs as the preset, so the report records its name.
    if (preset && !modified) void check.start({ reference, current, options: {}, preset: preset.name });
    else void check.start({ reference, current, options: patch });
  };

  return (
    <section className="card check-form" aria-label="New drift check" data-testid="check-form">
      <header className="card-header">
        <h2>New check</h2>
        <span className="muted small">Pick a dataset version or drop a file on each side.</span>
      </header>
      <div className="source-pair">
        {(['reference', 'current'] as const).map((side) => (
          <SourcePicker
            key={side}
            side={side}
            value={sources[side]}
            dragging={dragging}
            onChange={(v) => setSide(side, v)}
          />
        ))}
      </div>
      {dropError && <p className="field-error">{dropError}</p>}
      <OptionsPanel
        form={form}
        onChange={setForm}
        errors={errors}
        knownColumns={knownColumns}
        summary={describePatch(patch)}
        open={optionsOpen}
        onToggle={() => setOptionsOpen(!optionsOpen)}
        preset={
          <PresetBar
            selected={preset?.name ?? ''}
            modified={modified}
            patch={patch}
            canSave={!hasErrors(errors)}
            onPick={(p) => {
              setPreset(p ? { name: p.name, options: p.options } : null);
              if (p) setForm(formFromPatch(p.options));
            }}
          />
        }
      />
      <div className="run-row">
        <button
          type="button"
          className="btn btn-primary"
          disabled={blocker !== null || running}
          onClick={run}
        >
          Run check
        </button>
        {running && (
          <button type="button" className="btn" onClick={check.cancel}>
            Cancel
          </button>
        )}
        {!running && blocker && <span className="muted">{blocker}</span>}
        {running && <CheckProgress state={check.state} />}
        {check.state.step === 'idle' && check.state.cancelled && (
          <span className="muted">Cancelled. No report was stored.</span>
        )}
      </div>
      {check.state.step === 'idle' && <ErrorNotice error={check.state.error} title="The check failed." />}
    </section>
  );
}

function CheckProgress(props: { state: ReturnType<typeof useDriftCheck>['state'] }) {
  const s = props.state;
  let label = '';
  let done = 0;
  let total: number | null = null;
  if (s.step === 'uploading') {
    label = `Uploading ${s.file} · ${formatBytes(s.progress.bytesDone)} of ${formatBytes(s.progress.bytesTotal)}`;
    [done, total] = [s.progress.bytesDone, s.progress.bytesTotal || null];
  } else if (s.step === 'checking') {
    const p = s.progress;
    label = p?.message ?? (p?.phase === 'columns' ? 'Testing columns' : 'Reading the data');
    if (p?.phase === 'columns' && p.total) label += ` · ${p.done} of ${p.total}`;
    [done, total] = [p?.done ?? 0, p?.total ?? null];
  }
  return (
    <div className="run-progress" data-testid="check-progress">
      <span className="progress-label">{label}…</span>
      <ProgressBar done={done} total={total} label="Drift check progress" />
    </div>
  );
}
