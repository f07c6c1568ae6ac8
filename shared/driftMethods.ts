/**
 * The drift methods' names, apart from shared/drift.ts so that code which only needs the names
 * (the CLI's argument check, loaded by every `mlwb` command) does not load zod and the contract.
 */
export const driftMethods = [
  'ks',
  'chisquare',
  'z',
  'wasserstein',
  'jensenshannon',
  'psi',
  'kl_div',
  'hellinger',
] as const;
