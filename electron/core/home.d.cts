/** `--home`, else MLWB_HOME, else the platform's user-data folder. */
export function resolveHome(explicit?: string, env?: NodeJS.ProcessEnv): string;
