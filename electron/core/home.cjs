'use strict';
// The workbench home. CommonJS, so that bin/mlwb.js's quick add (scripts/source-watch-client.cjs)
// finds it as the CLI does without loading anything else.
const os = require('node:os');
const path = require('node:path');

/** `--home`, else MLWB_HOME, else the platform's user-data folder. */
function resolveHome(explicit, env = process.env) {
  if (explicit) return path.resolve(explicit);
  if (env.MLWB_HOME) return path.resolve(env.MLWB_HOME);
  const home = os.homedir();
  switch (process.platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'MLOps Workbench');
    case 'win32':
      return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'MLOps Workbench');
    default:
      return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'mlops-workbench');
  }
}

module.exports = { resolveHome };
