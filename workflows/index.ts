export { ping } from './ping.js';
export { deployProject } from './deploy-project.js';
