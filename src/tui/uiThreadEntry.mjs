// The UI thread's entry: worker threads do not inherit the tsx loader of the main thread,
// so this plain module loads the TypeScript UI through tsx's API.
import { tsImport } from 'tsx/esm/api';

// Ink draws only the last frame when CI is set in the environment; this UI only ever runs
// on a real terminal (this thread's copy of the environment is its own).
process.env.CI = 'false';
await tsImport('./uiWorker.tsx', import.meta.url);
