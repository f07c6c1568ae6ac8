/**
 * A run's log as kept on disk (`<home>/runs/<id>/logs.txt`): one line per output line, `O text`
 * for stdout and `E text` for stderr, appended by whichever process follows the run. Readers read
 * the tail, or complete lines from a byte offset (so `logs --follow` in another process resumes
 * exactly where it stopped).
 */
import fs from 'node:fs';

export type LogLine = { stream: 'stdout' | 'stderr'; text: string };

const LOG_BLOCK = 1024 * 1024;

function parseLogLine(l: string): LogLine {
  return { stream: l.startsWith('E ') ? 'stderr' : 'stdout', text: l.slice(2) };
}

export function formatLogLine(line: LogLine): string {
  return `${line.stream === 'stderr' ? 'E' : 'O'} ${line.text}\n`;
}

/** The workbench's own word in a run's log (not the container's), on stderr, marked `mlwb:`. */
export function appendNote(file: string, text: string): LogLine {
  const line: LogLine = { stream: 'stderr', text: `mlwb: ${text}` };
  fs.appendFileSync(file, formatLogLine(line));
  return line;
}

/** The last `tail` lines, each with its stream. */
export function tailLog(file: string, tail: number): LogLine[] {
  if (!fs.existsSync(file)) return [];
  // Read backwards until `tail` lines are in hand: a 50 MB log is not read whole for its end.
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    let start = size;
    let text = '';
    while (start > 0 && text.split('\n').length <= tail + 1) {
      const n = Math.min(LOG_BLOCK, start);
      start -= n;
      const buf = Buffer.alloc(n);
      fs.readSync(fd, buf, 0, n, start);
      text = buf.toString('utf8') + text;
    }
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    if (start > 0) lines.shift(); // the first line read may be cut
    return lines.slice(-tail).map(parseLogLine);
  } finally {
    fs.closeSync(fd);
  }
}

/** Complete lines from byte `from` on (at most `maxBytes` of them), and where to read next. */
export function readLogFrom(
  file: string,
  from: number,
  maxBytes = 8 * LOG_BLOCK,
): { lines: LogLine[]; next: number } {
  if (!fs.existsSync(file)) return { lines: [], next: from };
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(Math.max(0, Math.min(maxBytes, fs.fstatSync(fd).size - from)));
    const n = fs.readSync(fd, buf, 0, buf.length, from);
    const end = buf.subarray(0, n).lastIndexOf(0x0a) + 1;
    if (end === 0) return { lines: [], next: from };
    const lines = buf
      .subarray(0, end - 1)
      .toString('utf8')
      .split('\n')
      .map(parseLogLine);
    return { lines, next: from + end };
  } finally {
    fs.closeSync(fd);
  }
}
