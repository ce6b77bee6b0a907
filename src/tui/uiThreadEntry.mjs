// The UI thread's entry: worker threads do not inherit the tsx loader of the main thread,
// so this plain module loads the TypeScript UI through tsx's API.
import { tsImport } from 'tsx/esm/api';

// Ink draws only the last frame when CI is set in the environment; this UI only ever runs
// on a real terminal (this thread's copy of the environment is its own).
process.env.CI = 'false';
// React's development build checks and times every component on every render (it doubled
// the UI's CPU per frame); this thread loads its own copy of React, so the node's setting
// elsewhere is untouched.
process.env.NODE_ENV = 'production';
await tsImport('./uiWorker.tsx', import.meta.url);
