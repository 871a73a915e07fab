// Tags: GET /api/v2/tags, bare strings. The `raw` column holds the string itself.
import { z } from 'zod';
import { listEndpoint } from '../launchdarkly';
import { accountWide, defineTable, listPages, type AccountWide, type StreamDefinition } from './stream';

/** The documented maximum (API.md §4). */
export const TAGS_PAGE_SIZE = 1000;

export function tagsEndpoint(limit = TAGS_PAGE_SIZE) {
  return listEndpoint({
    path: '/api/v2/tags',
    pattern: '/api/v2/tags',
    label: 'tags',
    query: { limit },
    schema: z.string(),
    keyOf: (t) => t,
  });
}

export const tagsTable = defineTable<string, AccountWide>([], {
  table: 'tags',
  key: { tag: (t) => t },
  columns: { raw: ['jsonb', (t) => t] },
});

export const tagsStream: StreamDefinition<AccountWide, string> = {
  name: 'tags',
  activity: 'syncTags',
  ...accountWide,
  label: () => 'tags',
  read: (_params, cursor, { client, signal }) => listPages(client, tagsEndpoint(), cursor, signal),
  tables: [tagsTable],
  schedule: { summary: 'tags' },
};
