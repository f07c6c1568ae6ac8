/**
 * A run's log as kept on disk (`<home>/runs/<id>/logs.txt`): one line per output line, `O text`
 * for stdout and `E text` for stderr, appended by whichever process follows the run. Readers read
 * the tail, or complete lines from a byte offset (so `logs --follow` in another process resumes
 * exactly where it stopped). Read through containerFiles.ts like every file of a run's folder.
 * This is the only module that knows the format: everything else writes and reads LogLines.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type ContainerFile, openContainerFile, readSlice } from './containerFiles.ts';

export type LogLine = { stream: 'stdout' | 'stderr'; text: string };

/**
 * Where a follower taking over from one that has gone reads on: the time the last line was
 * written (the log file's mtime) and the last lines written.
 */
export interface ResumePoint {
  time: number;
  tail: LogLine[];
}

const LOG_BLOCK = 1024 * 1024;

function parseLogLine(l: string): LogLine {
  return { stream: l.startsWith('E ') ? 'stderr' : 'stdout', text: l.slice(2) };
}

function formatLogLine(line: LogLine): string {
  return `${line.stream === 'stderr' ? 'E' : 'O'} ${line.text}\n`;
}

/** Appends lines to a run's log as they stream (a follower, an image build); `end` flushes them. */
export function logAppender(file: string): { write(line: LogLine): void; end(): Promise<void> } {
  const out = fs.createWriteStream(file, { flags: 'a' });
  return {
    write: (line) => void out.write(formatLogLine(line)),
    end: () => new Promise<void>((resolve) => out.end(resolve)),
  };
}

/** The workbench's own word in a run's log (not the container's), on stderr, marked `mlwb:`. */
export function appendNote(file: string, text: string): LogLine {
  const line: LogLine = { stream: 'stderr', text: `mlwb: ${text}` };
  fs.appendFileSync(file, formatLogLine(line));
  return line;
}

/**
 * Where to read a run's output on from when the process that followed it has gone: after the
 * log's last write, skipping the last `lines` lines it holds; from `since` when there is no log.
 */
export function resumePointOf(file: string, lines: number, since: number): ResumePoint {
  if (!fs.existsSync(file)) return { time: since, tail: [] };
  return { time: fs.statSync(file).mtimeMs, tail: tailLog(file, lines) };
}

function openLog(file: string): ContainerFile | undefined {
  return openContainerFile(path.dirname(file), path.basename(file));
}

/** The last `tail` lines, each with its stream. */
export function tailLog(file: string, tail: number): LogLine[] {
  const log = openLog(file);
  if (!log) return [];
  // Read backwards until `tail` lines are in hand: a 50 MB log is not read whole for its end.
  try {
    let start = log.size;
    let text = '';
    while (start > 0 && text.split('\n').length <= tail + 1) {
      const n = Math.min(LOG_BLOCK, start);
      start -= n;
      text = readSlice(log, start, n).toString('utf8') + text;
    }
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    if (start > 0) lines.shift(); // the first line read may be cut
    return lines.slice(-tail).map(parseLogLine);
  } finally {
    log.close();
  }
}

/** Complete lines from byte `from` on (at most `maxBytes` of them), and where to read next. */
export function readLogFrom(
  file: string,
  from: number,
  maxBytes = 8 * LOG_BLOCK,
): { lines: LogLine[]; next: number } {
  const log = openLog(file);
  if (!log) return { lines: [], next: from };
  try {
    const buf = readSlice(log, from, maxBytes);
    const end = buf.lastIndexOf(0x0a) + 1;
    if (end === 0) return { lines: [], next: from };
    const lines = buf
      .subarray(0, end - 1)
      .toString('utf8')
      .split('\n')
      .map(parseLogLine);
    return { lines, next: from + end };
  } finally {
    log.close();
  }
}
