export { packProject } from './pack.js';
export { extractArchive } from './extract.js';
export { sha256File } from './checksum.js';
