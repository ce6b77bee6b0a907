// The name of an algorithm project. It becomes the folder `sequence init` creates, the npm
// package name, the deployment label (a mesh address, at most 32 bytes) and the bundle's
// file name, so it must be valid as all four at once.

const ALGO_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

export const ALGO_NAME_RULE = 'lowercase letters, digits, "-" or "_", starting with a letter, 1 to 32 characters';

/** Why `name` cannot name an algorithm, or undefined when it can. */
export function algoNameProblem(name: string): string | undefined {
  if (ALGO_NAME.test(name)) return undefined;
  return `${JSON.stringify(name)} is not a valid algorithm name: use ${ALGO_NAME_RULE}`;
}
