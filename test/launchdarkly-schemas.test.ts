// zod schemas on payloads shaped like LaunchDarkly's samples (../shared/launchdarkly/examples), secret
// removal, and the wording of schema mismatches.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { redactSecrets, scrubText } from '../src/launchdarkly/redact';
import { describeIssue } from '../src/launchdarkly/schemas';
import { EnvironmentSchema } from '../src/streams/environments';
import { FlagStatusSchema } from '../src/streams/flag-statuses';
import { FlagSchema } from '../src/streams/flags';
import { ProjectSchema } from '../src/streams/projects';
import { TeamMaintainerSchema } from '../src/streams/team-maintainers';
import { TeamSchema } from '../src/streams/teams';

const environmentItem = {
  _links: {
    apiKey: { href: '/api/v2/projects/p/environments/test/apiKey', type: 'application/json' },
    mobileKey: { href: '/api/v2/projects/p/environments/test/mobileKey', type: 'application/json' },
    self: { href: '/api/v2/projects/p/environments/test', type: 'application/json' },
  },
  _id: '64f6f21653c76f12626d142b',
  _pubnub: { channel: 'abc', cipherKey: 'def' },
  key: 'test',
  name: 'Test',
  apiKey: 'sdk-00000000-0000-0000-0000-000000000001',
  mobileKey: 'mob-00000000-0000-0000-0000-000000000001',
  color: 'F5A623',
  tags: [],
  approvalSettings: { required: false, serviceConfig: {} },
};

const flagItem = {
  _links: { parent: { href: '/api/v2/flags/p' }, self: { href: '/api/v2/flags/p/new-checkout' } },
  key: 'new-checkout',
  name: 'New checkout',
  description: '',
  kind: 'boolean',
  _version: 1,
  creationDate: 1718299647527,
  variations: [{ value: true }, { value: false }],
  temporary: true,
  tags: ['checkout'],
  archived: false,
  maintainerId: '6669b0f34162860fefd6d724',
  clientSideAvailability: { usingEnvironmentId: false, usingMobileKey: true },
  environments: {
    production: { on: true, archived: false, lastModified: 1718299647539, version: 3, salt: 's', sel: 't' },
  },
};

describe('schemas', () => {
  test('project: stored fields, unknown fields kept in raw', () => {
    const p = ProjectSchema.parse({ _id: 'x', key: 'web', name: 'Web', tags: ['a'], includeInSnippetByDefault: false });
    assert.deepEqual(p, {
      key: 'web',
      name: 'Web',
      tags: ['a'],
      raw: { _id: 'x', key: 'web', name: 'Web', tags: ['a'], includeInSnippetByDefault: false },
    });
  });

  test('environment: critical defaults to false, secrets are gone from raw', () => {
    const e = EnvironmentSchema.parse(environmentItem);
    assert.equal(e.critical, false);
    assert.deepEqual(e.tags, []);
    const text = JSON.stringify(e);
    for (const secret of ['sdk-', 'mob-', '_pubnub', 'cipherKey', 'apiKey', 'mobileKey']) {
      assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    }
    assert.deepEqual(e.raw._links, { self: environmentItem._links.self });
    assert.deepEqual(e.raw.approvalSettings, environmentItem.approvalSettings);
  });

  test('flag: environments parsed apart, raw without them, absent deprecated is false', () => {
    const f = FlagSchema.parse(flagItem);
    assert.equal(f.deprecated, false);
    assert.equal(f.maintainerTeamKey, null);
    assert.deepEqual(Object.keys(f.environments), ['production']);
    assert.deepEqual(f.environments.production, {
      on: true,
      archived: false,
      lastModified: 1718299647539,
      version: 3,
      raw: flagItem.environments.production,
    });
    assert.equal('environments' in f.raw, false);
    // a boolean named like a key is data, not a secret
    assert.deepEqual(f.raw.clientSideAvailability, flagItem.clientSideAvailability);
  });

  test('team and maintainer: ms dates and nullable names', () => {
    const t = TeamSchema.parse({ key: 'k', name: 'N', _creationDate: 1648671956143, _lastModified: 1648672446072 });
    assert.deepEqual([t.description, t.creationDate, t.lastModified], [null, 1648671956143, 1648672446072]);
    const m = TeamMaintainerSchema.parse({ _id: 'id1', email: 'a@b.c', role: 'reader' });
    assert.deepEqual([m.id, m.firstName, m.lastName], ['id1', null, null]);
  });

  test('flag status: key from the parent link, else from self; null lastRequested', () => {
    const fromParent = FlagStatusSchema.parse({
      name: 'new',
      lastRequested: null,
      _links: { parent: { href: '/api/v2/flags/p/olulufe' }, self: { href: '/api/v2/flag-statuses/p/e/olulufe' } },
    });
    assert.deepEqual([fromParent.flagKey, fromParent.lastRequested, fromParent.default], ['olulufe', null, undefined]);
    const fromSelf = FlagStatusSchema.parse({
      name: 'active',
      lastRequested: '2024-06-14T10:02:11.123Z',
      default: false,
      _links: { self: { href: '/api/v2/flag-statuses/p/e/my%20flag' } },
    });
    assert.deepEqual([fromSelf.flagKey, fromSelf.default], ['my flag', false]);
    assert.equal(FlagStatusSchema.safeParse({ name: 'new', _links: {} }).success, false);
  });

  test('mismatches name the field, what was expected and what came', () => {
    const bad = { ...flagItem, kind: 42 };
    const result = FlagSchema.safeParse(bad);
    assert.equal(result.success, false);
    assert.equal(
      describeIssue(result.error!.issues[0]!, bad),
      'field kind: expected "boolean" | "multivariate", got 42',
    );

    const badEnv = { ...flagItem, environments: { production: { ...flagItem.environments.production, on: 'yes' } } };
    const envResult = FlagSchema.safeParse(badEnv);
    assert.equal(
      describeIssue(envResult.error!.issues[0]!, badEnv),
      'field environments.production.on: expected boolean, got "yes"',
    );

    const missing = { key: 'web', tags: [] };
    const missingResult = ProjectSchema.safeParse(missing);
    assert.equal(
      describeIssue(missingResult.error!.issues[0]!, missing),
      'field name: expected string, got nothing (the field is missing)',
    );
  });
});

describe('redaction', () => {
  test('drops secret-named fields, secret-looking values and caller secrets, keeps the rest', () => {
    const token = 'api-0a1b2c3d-0000-4000-8000-000000000000';
    const input = {
      keep: 'value',
      nested: [{ sdkKey: 'x', password: 'p', serviceToken: true, note: `contains ${token}` }, 'mob-12345678-aaaa-bbbb'],
      _pubnub: { channel: 'c' },
    };
    assert.deepEqual(redactSecrets(input, { secrets: [token] }), { keep: 'value', nested: [{ serviceToken: true }] });
    assert.equal(input.keep, 'value', 'the input is not modified');
    assert.equal(scrubText(`token ${token} rejected`, [token]), 'token [redacted] rejected');
  });
});
