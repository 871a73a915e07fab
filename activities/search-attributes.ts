// Which of the project's search attributes the namespace has registered. The workflow upserts only
// those: upserting an unregistered key fails its workflow task over and over, wedging the run.
import { activityInfo, getClient, log } from '@temporalio/activity';
import { searchAttributes } from '../src/shared';

export async function registeredSearchAttributes(): Promise<string[]> {
  const wanted = Object.values(searchAttributes).map((k) => k.name);
  try {
    const { customAttributes } = await getClient().connection.operatorService.listSearchAttributes({
      namespace: activityInfo().workflowNamespace,
    });
    const registered = wanted.filter((name) => name in (customAttributes ?? {}));
    const missing = wanted.filter((name) => !registered.includes(name));
    if (missing.length > 0) {
      log.warn('search attributes not registered: runs are not searchable by them', { missing });
    }
    return registered;
  } catch (err) {
    // Temporal Cloud's API keys may not allow the operator service: runs still sync, unsearchable.
    log.warn('could not list search attributes', { error: err instanceof Error ? err.message : String(err) });
    return [];
  }
}
