import { defineSearchAttributeKey } from '@temporalio/common';

/** Registered on the embedded dev server at start, so the Web UI can filter workflows by project. */
export const PROJECT_ATTR = defineSearchAttributeKey('RoroProject', 'KEYWORD');
export const KIND_ATTR = defineSearchAttributeKey('RoroKind', 'KEYWORD');

export const SEARCH_ATTRIBUTES: Record<string, 'Keyword'> = {
  RoroProject: 'Keyword',
  RoroKind: 'Keyword',
};
