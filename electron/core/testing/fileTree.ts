/** Writing the files a test works on, for unit tests and Playwright specs alike (no test runner imports). */
import fs from 'node:fs';
import path from 'node:path';

/** Writes a tree of files, `{ 'a/b.txt': 'content' }`, under `root`, and returns `root`. */
export function writeTree(root: string, files: Record<string, string | Buffer>): string {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return root;
}
