export { ping } from './ping.js';
export { deployProject } from './deploy-project.js';
export { removeProject } from './remove-project.js';
export { runJob } from './run-job.js';
export { notebookSession } from './notebook-session.js';
