/**
 * CSV text as records of fields (RFC 4180: `"` quotes a field, `""` is a quote inside one, and a
 * quoted field may hold commas and line breaks; CRLF or LF ends a record; a leading BOM is
 * skipped). A blank line is a record of one empty field. Fields stay strings. Used where a CSV is
 * read whole: the model server's CSV bodies and ground-truth label files.
 */
export class UnterminatedQuote extends Error {
  constructor() {
    super('The CSV ends inside a quoted value.');
  }
}

export function parseCsv(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      out.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (quoted) throw new UnterminatedQuote();
  if (cell !== '' || row.length) {
    row.push(cell);
    out.push(row);
  }
  return out;
}
