/** A bundle could not be built; the message carries the compiler's diagnostics with file(line,column). */
export class BuildError extends Error {}
