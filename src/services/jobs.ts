import type { BackgroundJob } from '../app';

/** Periodic jobs every server process runs. */
export const BACKGROUND_JOBS: BackgroundJob[] = [];
